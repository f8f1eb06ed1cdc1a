/**
 * The process logger: pino, one JSON object per line on stdout (systemd's journal or
 * any collector takes it from there). Nothing logged may contain a secret: callers log
 * ids, paths and problems, never provisioning values.
 */
import { pino, type Logger as PinoLogger } from 'pino';

/** Log levels accepted by --log-level and the config file, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** The logger type passed around the code. */
export type Logger = PinoLogger;

/**
 * Creates the logger writing to `fd` (stdout by default). Writes are synchronous so
 * that the last lines before an exit are never lost.
 */
export function createLogger(level: LogLevel, fd = 1): Logger {
  return pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd, sync: true }),
  );
}

/**
 * The causes of an error as one line each (`message` and `code`), for the log only.
 * Stops at 8 levels so that a cyclic cause cannot loop.
 */
export function causeChain(err: unknown): string[] {
  const chain: string[] = [];
  let current: unknown = err;
  while (current !== undefined && chain.length < 8) {
    if (current instanceof Error) {
      const code = (current as NodeJS.ErrnoException).code;
      chain.push(`${current.name}: ${current.message}${code ? ` (${code})` : ''}`);
      current = current.cause;
    } else {
      chain.push(String(current));
      current = undefined;
    }
  }
  return chain;
}
