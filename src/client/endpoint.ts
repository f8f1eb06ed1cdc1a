/**
 * External provisioning endpoints in the syntax of IoT Edge's `config.yaml`
 * (`provisioning.endpoint`): `unix:///abs/path.sock` or `http://host:port`.
 *
 * Unlike a listen URL (config/listen-url.ts), any host is a valid endpoint: a client
 * may well probe a device over the network; whether to expose the API that way is the
 * server's decision, not the client's.
 */
import { describeListener } from '../config/listen-url.js';

/** Where an endpoint is. */
export type Endpoint =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** The text is not an endpoint; the message says why and what is expected. */
export class EndpointSyntaxError extends Error {
  override readonly name = 'EndpointSyntaxError';
}

const EXPECTED = 'expected unix:///path/to.sock or http://host:port';

/** Parses an endpoint URL; throws EndpointSyntaxError naming the problem. */
export function parseEndpoint(text: string): Endpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EndpointSyntaxError(`endpoint ${JSON.stringify(text)} is not a URL (${EXPECTED})`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new EndpointSyntaxError(`endpoint ${JSON.stringify(text)} must not have a user, query or fragment`);
  }
  switch (url.protocol) {
    case 'unix:': {
      const path = decodeURIComponent(url.pathname);
      if (url.host !== '' || path === '/' || path.endsWith('/')) {
        throw new EndpointSyntaxError(`endpoint ${JSON.stringify(text)}: a unix endpoint is an absolute socket path with no host (unix:///run/external/external.sock)`);
      }
      return { kind: 'unix', path };
    }
    case 'http:': {
      if (url.pathname !== '/' && url.pathname !== '') {
        // The daemon would drop the path and still ask at the root: probing elsewhere
        // would test something the daemon never does.
        throw new EndpointSyntaxError(`endpoint ${JSON.stringify(text)} must not have a path: IoT Edge ignores it and requests paths at the root`);
      }
      return { kind: 'tcp', host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 80 : Number(url.port) };
    }
    case 'https:':
      throw new EndpointSyntaxError(`endpoint ${JSON.stringify(text)}: IoT Edge's external endpoint speaks plain HTTP only`);
    default:
      throw new EndpointSyntaxError(`endpoint ${JSON.stringify(text)} has unsupported scheme ${url.protocol} (${EXPECTED})`);
  }
}

/** The endpoint as its URL, for messages (the same form as a listener's). */
export function describeEndpoint(endpoint: Endpoint): string {
  return describeListener(endpoint);
}

/**
 * The Host header the daemon sends: over a Unix socket, the `hyperlocal` convention
 * (the socket path hex-encoded, then `:0`); over TCP, `host:port` of the endpoint.
 */
export function daemonHostHeader(endpoint: Endpoint): string {
  return endpoint.kind === 'unix' ? `${Buffer.from(endpoint.path).toString('hex')}:0` : describeListener(endpoint).slice('http://'.length);
}
