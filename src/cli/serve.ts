/**
 * `xprov serve`: parse the configuration, start the service, stop it gracefully on
 * SIGTERM/SIGINT (exit 0), or whatever else the I/O's onStop says (tests in-process).
 */
import { serveUsage } from '../config/config.js';
import { runService } from './shared/run-service.js';
import { serveConfigFromArgs } from './shared/serve-options.js';
import type { CliIo } from './shared/io.js';

/** Runs the service until a stop signal; resolves with the exit code. */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${serveUsage()}\n`);
    return 0;
  }
  return runService(serveConfigFromArgs(argv, io), io);
}
