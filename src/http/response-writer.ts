/**
 * The one place that writes answers: status, headers and body. Handlers return typed
 * results and errors are thrown; neither touches `ctx.body` (openapi-backend's
 * postResponseHandler idea). JSON is serialised here, once, without Koa's content
 * negotiation.
 */
import type { Context } from 'koa';

const JSON_TYPE = 'application/json; charset=utf-8';

// Stores hand out the same (never mutated) object until their content changes, so each
// answer is serialised once rather than on every request.
const serialized = new WeakMap<object, Buffer>();

function toJson(body: object): Buffer {
  let bytes = serialized.get(body);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(body), 'utf8');
    serialized.set(body, bytes);
  }
  return bytes;
}

/**
 * Writes `body` as JSON with `status`, or an empty answer when `body` is undefined
 * (Koa would turn a null body into 204; the spec says 200 with no body).
 */
export function writeAnswer(ctx: Context, status: number, body: object | undefined, headers: Readonly<Record<string, string>> = {}): void {
  ctx.status = status;
  for (const [name, value] of Object.entries(headers)) {
    ctx.set(name, value);
  }
  if (body === undefined) {
    ctx.body = '';
    ctx.remove('Content-Type');
    return;
  }
  ctx.set('Content-Type', JSON_TYPE);
  ctx.body = toJson(body);
}
