/**
 * A hostile or broken DPS, for the client's bounds: one that never answers, one that
 * sends its answer a byte at a time, one whose answer never ends in size. Each takes
 * over the raw response (Koa stays out of it) and lets go when the client hangs up or
 * the emulator stops (which closes every connection).
 */
import type { Context } from 'koa';

/** How the emulator misbehaves for every request while set. */
export type HostileBehaviour =
  /** Reads the request, never answers. */
  | { readonly kind: 'silent' }
  /** Answers 200 with a body that never ends, one byte every `intervalMs`. */
  | { readonly kind: 'drip'; readonly intervalMs: number }
  /** Answers 200 with a JSON body of `bytes` bytes (no Content-Length: chunked). */
  | { readonly kind: 'huge'; readonly bytes: number };

/** Answers `ctx` the hostile way. */
export function misbehave(ctx: Context, behaviour: HostileBehaviour): void {
  ctx.respond = false;
  const { res } = ctx;
  switch (behaviour.kind) {
    case 'silent':
      return;
    case 'drip': {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status": "assigned"');
      const timer = setInterval(() => res.write(' '), behaviour.intervalMs);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case 'huge': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = ' '.repeat(16 * 1024);
      res.write('{"status": "assigned", "padding": "');
      let sent = 0;
      const more = (): void => {
        while (sent < behaviour.bytes && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', more);
            return;
          }
        }
        if (!res.destroyed) res.end('"}');
      };
      more();
      return;
    }
  }
}
