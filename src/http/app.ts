/**
 * The Koa application: access log, then one middleware that routes by the generated
 * table, validates with the generated validators, calls the operation's handler and
 * writes its result, and maps every failure through toHttpError.
 */
import Koa from 'koa';
import type { OperationId } from '../contract/types.js';
import { type Logger, causeChain } from '../log.js';
import type { ProvisioningService } from '../service.js';
import { logRequest } from './access-log.js';
import { handlers } from './operations/registry.js';
import type { OperationHandler } from './operation.js';
import { parseQuery } from './query.js';
import { announcesBody, refuseRequestBody } from './request-body.js';
import { writeAnswer } from './response-writer.js';
import { route } from './route.js';
import { toHttpError } from './to-http-error.js';

async function dispatch<Op extends OperationId>(ctx: Koa.Context, operationId: Op, service: ProvisioningService): Promise<void> {
  const handler: OperationHandler<Op> = handlers[operationId];
  const query = parseQuery(operationId, ctx.querystring);
  refuseRequestBody(ctx.req);
  const result = await handler(service, { query });
  writeAnswer(ctx, result.status, result.body ?? undefined);
}

/** Builds the Koa app serving the API over `service`. */
export function createApp(service: ProvisioningService, log: Logger): Koa {
  const app = new Koa();
  // Errors never reach Koa's default handler (they are answered below); this only
  // guards against Koa-internal failures, which are logged without request data.
  app.silent = true;
  app.on('error', (err: unknown) => log.error({ cause: causeChain(err) }, 'koa error'));
  // One middleware rather than a chain: each Koa middleware layer costs a promise and
  // a closure per request, and this is the whole request path.
  app.use(async (ctx) => {
    const started = process.hrtime.bigint();
    const { method, path } = ctx;
    try {
      await dispatch(ctx, route(method, path), service);
    } catch (err) {
      const answer = toHttpError(err);
      if (!answer.expected) {
        log.error({ method, path, cause: causeChain(err) }, 'internal error');
      }
      writeAnswer(ctx, answer.status, { message: answer.message }, answer.headers);
    }
    if (announcesBody(ctx.req)) {
      // On every path, not only the body's 400: keeping the connection alive would make Node
      // read (drain) the whole unread body to find the next request.
      ctx.set('Connection', 'close');
    }
    logRequest(log, method, path, ctx.status, started);
  });
  return app;
}
