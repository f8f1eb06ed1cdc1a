/**
 * Runs the Koa app in this process on a temporary Unix socket, for tests of the HTTP
 * layer that need to see the log or use a particular store.
 */
import { type Server, createServer } from 'node:http';
import path from 'node:path';
import { createApp } from '../../src/http/app.js';
import { ProvisioningService } from '../../src/service.js';
import type { Store } from '../../src/store/store.js';
import { type CapturedLog, captureLog } from './log-capture.js';
import { tempDir } from './tmp.js';

/** A running in-process server. */
export interface InProcessServer {
  /** Its endpoint, as the daemon's config would name it. */
  readonly endpoint: string;
  readonly captured: CapturedLog;
  close(): Promise<void>;
}

/** Serves the API over `store` on a fresh Unix socket. */
export async function serveInProcess(store: Store): Promise<InProcessServer> {
  const captured = captureLog();
  const app = createApp(new ProvisioningService(store, captured.log), captured.log);
  const socketPath = path.join(tempDir(), 'api.sock');
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    endpoint: `unix://${socketPath}`,
    captured,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
