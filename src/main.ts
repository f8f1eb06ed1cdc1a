/**
 * Process entry point (what bin/xprov.cjs runs): runs the CLI and exits with its code.
 * An exception nothing handled means a bug: it is logged and the process exits 70
 * (EX_SOFTWARE) so that systemd restarts it, rather than serving in an unknown state.
 */
import { main } from './cli.js';
import { processIo } from './cli/shared/io.js';
import { flushLogs } from './log.js';

process.on('uncaughtException', (err) => {
  flushLogs();
  process.stderr.write(`xprov: internal error: ${err.stack ?? err.message}\n`);
  process.exit(70);
});

main(process.argv.slice(2), processIo()).then(
  (code) => {
    // Flushing the logs first, exiting now loses nothing; not waiting for the event loop
    // to drain means a forgotten handle can never keep a stopped server alive.
    flushLogs();
    process.exit(code);
  },
  (err: unknown) => {
    flushLogs();
    process.stderr.write(`xprov: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
