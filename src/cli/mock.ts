/**
 * `xprov mock`: serves the API from the spec's examples, with no secrets, through the
 * same HTTP layer and listeners as `xprov serve`, for client developers on another
 * partition. Takes serve's options except `--store`.
 */
import { UsageError } from '../errors.js';
import { openExampleStore } from '../mock/example-store.js';
import { runService } from './shared/run-service.js';
import { serveConfigFromArgs } from './shared/serve-options.js';
import type { CliIo } from './shared/io.js';

const USAGE = `usage: xprov mock [--config FILE] [options]

Serves the IoT Edge external provisioning API from the examples of its spec (a fake
symmetric key, no real secret), exactly as xprov serve answers, so that clients can be
developed and tested against it. Takes the options of xprov serve (see xprov serve
--help), except --store; listens on http://127.0.0.1:9999 unless told otherwise.`;

/** Serves the examples until a stop signal; resolves with the exit code. */
export async function mockCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (argv.some((arg) => arg === '--store' || arg.startsWith('--store='))) {
    throw new UsageError("mock serves the spec's examples: it takes no --store");
  }
  const config = serveConfigFromArgs(argv, io);
  return runService(config, io, await openExampleStore());
}
