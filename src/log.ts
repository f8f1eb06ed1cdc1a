/**
 * The process logger: pino, one JSON object per line on stdout (systemd's journal or
 * any collector takes it from there). Nothing logged may contain a secret: callers log
 * ids, paths and problems, never provisioning values.
 */
import { type DestinationStream, pino, type Logger as PinoLogger } from 'pino';
import { redactSecrets } from './redact.js';

/** Log levels accepted by --log-level and the config file, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** True when `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** The logger type passed around the code. */
export type Logger = PinoLogger;

/** Buffered destinations created here, flushed by flushLogs before the process exits. */
const buffered: { flushSync(): void }[] = [];

/** A buffered stdout/stderr destination, registered for flushLogs. */
function bufferedDestination(fd: 1 | 2): DestinationStream {
  // Asynchronous: lines written while a write is pending are coalesced into one
  // write(2), so under load there is not one system call per request line. Nothing is
  // lost at exit: main.ts calls flushLogs() before process.exit().
  const destination = pino.destination({ fd, sync: false });
  buffered.push(destination);
  return destination;
}

/** Writes out every buffered log line now; call before process.exit(). */
export function flushLogs(): void {
  for (const destination of buffered) {
    try {
      destination.flushSync();
    } catch {
      // Nothing more can be done about a log that cannot be written.
    }
  }
}

/**
 * Creates the logger, writing to stdout unless given another destination.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    // Epoch milliseconds, pino's default: formatting an ISO date on every line cost
    // more than the rest of the line (journald and collectors stamp lines anyway).
    { level, base: { pid: process.pid } },
    destination ?? bufferedDestination(1),
  );
}

/** A logger on stderr, for commands whose stdout is their result. */
export function createStderrLogger(level: LogLevel): Logger {
  return createLogger(level, bufferedDestination(2));
}

/**
 * The causes of an error as one line each (`message` and `code`), for the log only,
 * with secrets masked (library messages may quote what they failed on).
 * Stops at 8 levels so that a cyclic cause cannot loop.
 */
export function causeChain(err: unknown): string[] {
  const chain: string[] = [];
  let current: unknown = err;
  while (current !== undefined && chain.length < 8) {
    if (current instanceof Error) {
      const code = (current as NodeJS.ErrnoException).code;
      chain.push(redactSecrets(`${current.name}: ${current.message}${code ? ` (${code})` : ''}`));
      current = current.cause;
    } else {
      chain.push(redactSecrets(String(current)));
      current = undefined;
    }
  }
  return chain;
}
