/**
 * One log line per request: method, path (never the query), status and duration.
 */
import type { Middleware } from 'koa';
import type { Logger } from '../log.js';

/** Koa middleware logging each request once it is answered. */
export function accessLog(log: Logger): Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
      log.info({ method: ctx.method, path: ctx.path, status: ctx.status, durationMs: Math.round(durationMs * 1000) / 1000 }, 'request');
    }
  };
}
