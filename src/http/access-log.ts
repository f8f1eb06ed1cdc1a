/**
 * The access log: one line per request with method, path (never the query), status
 * and duration.
 */
import type { Logger } from '../log.js';

/** Logs one answered request; `started` is process.hrtime.bigint() at its start. */
export function logRequest(log: Logger, method: string, path: string, status: number, started: bigint): void {
  const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1000) / 1000;
  log.info({ method, path, status, durationMs }, 'request');
}
