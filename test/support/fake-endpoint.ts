/**
 * Endpoints that are not xprov: small node:http servers answering whatever a test
 * wants (including deliberately broken answers), on a Unix socket or loopback TCP, and
 * recording the requests they get. Closed after the test file.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import path from 'node:path';
import { tempDir } from './tmp.js';

/** A request as the fake endpoint received it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  /** Header names and values as sent, in order, case preserved. */
  readonly rawHeaders: readonly string[];
}

/** A running fake endpoint. */
export interface FakeEndpoint {
  /** Its URL, as IoT Edge's config.yaml would name it. */
  readonly endpoint: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** What a fake endpoint does with a request. */
export type FakeHandler = (req: IncomingMessage, res: ServerResponse) => void;

const open = new Set<FakeEndpoint>();

/** Serves `handler` on a fresh Unix socket or loopback TCP port. */
export async function serveFake(handler: FakeHandler, transport: 'unix' | 'tcp' = 'unix'): Promise<FakeEndpoint> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders });
    handler(req, res);
  });
  let endpoint: string;
  if (transport === 'unix') {
    const socketPath = path.join(tempDir(), 'fake.sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    endpoint = `unix://${socketPath}`;
  } else {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  }
  const fake: FakeEndpoint = {
    endpoint,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        open.delete(fake);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  open.add(fake);
  return fake;
}

/** Answers `body` as JSON with `status`. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

after(async () => {
  await Promise.all([...open].map((fake) => fake.close()));
});
