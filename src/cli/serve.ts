/**
 * `xprov serve`: parse the configuration, start the service, stop it gracefully on
 * SIGTERM/SIGINT (exit 0).
 */
import { serveUsage } from '../config/config.js';
import { runService } from './shared/run-service.js';
import { serveConfigFromArgs } from './shared/serve-options.js';

/** Runs the service until a stop signal; resolves with the exit code. */
export async function serveCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${serveUsage()}\n`);
    return 0;
  }
  return runService(serveConfigFromArgs(argv));
}
