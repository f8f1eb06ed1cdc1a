/**
 * Command-line pieces shared by the commands that talk to an endpoint (check, get,
 * reprovision): the ENDPOINT argument and `--timeout-ms`.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ExternalProvisioningClient } from '../../client/client.js';
import { EndpointSyntaxError, TransportError, UsageError } from '../../errors.js';
import { parseOrUsage } from './parse-or-usage.js';
import type { CliIo } from './io.js';

/** The options every endpoint command takes besides its own. */
const COMMON_OPTIONS = { help: { type: 'boolean', short: 'h' }, 'timeout-ms': { type: 'string' } } as const;

/** The usage line of `--timeout-ms`. */
export const TIMEOUT_USAGE = '  --timeout-ms N\n      give up on an answer after N ms [default: 10000]';

/**
 * Parses the arguments of an endpoint command: its own `options`, `--help`,
 * `--timeout-ms` and the positionals; anything unknown is a one-line UsageError.
 */
export function parseEndpointArgs<const O extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: O) {
  return parseOrUsage(() => parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true }));
}

/**
 * The client for the one ENDPOINT argument of `command`; UsageError when it is
 * missing, repeated or malformed, or when the timeout is not a positive number.
 */
export function endpointClient(command: string, positionals: readonly string[], timeoutMs: string | undefined): ExternalProvisioningClient {
  const [endpoint, ...extra] = positionals;
  if (endpoint === undefined || extra.length > 0) {
    throw new UsageError(`${command} takes exactly one ENDPOINT (unix:///path.sock or http://host:port); see xprov ${command} --help`);
  }
  if (timeoutMs !== undefined && !/^[1-9]\d{0,8}$/.test(timeoutMs)) {
    throw new UsageError('--timeout-ms must be a positive whole number of milliseconds');
  }
  try {
    return new ExternalProvisioningClient(endpoint, { timeoutMs: timeoutMs === undefined ? undefined : Number(timeoutMs), userAgent: 'xprov' });
  } catch (err) {
    if (err instanceof EndpointSyntaxError) {
      throw new UsageError(err.message);
    }
    throw err;
  }
}

/**
 * Runs `talk`; when the endpoint gives no answer (TransportError), prints why on one
 * line of `io`'s stderr and resolves with exit code 1.
 */
export async function exitOnTransportError(io: CliIo, talk: () => Promise<number>): Promise<number> {
  try {
    return await talk();
  } catch (err) {
    if (err instanceof TransportError) {
      io.stderr.write(`xprov: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
