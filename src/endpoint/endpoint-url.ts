/**
 * Endpoint URLs in the daemon's own syntax (IoT Edge's `config.yaml`
 * `provisioning.endpoint`), parsed once for both sides, the way iot-identity-service's
 * `Connector` serves its listeners and its clients:
 *
 * - `unix:///abs/path.sock`: a Unix socket;
 * - `http://host:port`: TCP (plain HTTP: IoT Edge's external endpoint has no TLS);
 * - `fd://NAME`: listeners only, a socket passed by systemd socket activation, by its
 *   FileDescriptorName (`fd://` alone: every passed socket).
 *
 * A listener (parseListenUrl, a ConfigError when wrong) must be on loopback unless
 * remote listening is allowed: the API carries secrets. A client's endpoint
 * (parseEndpoint, an EndpointSyntaxError when wrong) may have any host: a client may
 * well probe a device over the network; whether to expose the API that way is the
 * server's decision, not the client's.
 */
import { ConfigError, EndpointSyntaxError } from '../errors.js';
import { isLoopbackName } from './host-names.js';

/** Where a client reaches an endpoint. */
export type Endpoint = { readonly kind: 'unix'; readonly path: string } | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** Where to listen: an endpoint, or sockets systemd passes. */
export type ListenerSpec = Endpoint | { readonly kind: 'systemd'; readonly name?: string };

/** The listener IoT Edge's documentation uses, and xprov's default. */
export const DEFAULT_LISTEN_URL = 'http://127.0.0.1:9999';

/** What is wrong with a URL, for each side to word in its own terms. */
type Problem = 'not-url' | 'extras' | 'unix-host' | 'unix-not-file' | 'http-path' | 'https' | 'scheme';

/** The URL parsed without either side's policy: a spec, or the first problem found. */
type Parsed = { readonly ok: true; readonly spec: ListenerSpec } | { readonly ok: false; readonly problem: Problem; readonly scheme?: string };

/** The one parse both sides share. */
function parseUrl(text: string): Parsed {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, problem: 'not-url' };
  }
  if (url.username || url.password || url.search || url.hash) {
    return { ok: false, problem: 'extras' };
  }
  switch (url.protocol) {
    case 'unix:': {
      if (url.host !== '') {
        return { ok: false, problem: 'unix-host' };
      }
      const path = decodeURIComponent(url.pathname);
      if (path === '/' || path.endsWith('/')) {
        return { ok: false, problem: 'unix-not-file' };
      }
      return { ok: true, spec: { kind: 'unix', path } };
    }
    case 'http:':
      if (url.pathname !== '/' && url.pathname !== '') {
        // IoT Edge drops any path of its endpoint URL and requests absolute paths.
        return { ok: false, problem: 'http-path' };
      }
      return { ok: true, spec: { kind: 'tcp', host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 80 : Number(url.port) } };
    case 'fd:': {
      const name = decodeURIComponent(url.host + url.pathname).replace(/\/$/, '');
      return { ok: true, spec: name === '' ? { kind: 'systemd' } : { kind: 'systemd', name } };
    }
    case 'https:':
      return { ok: false, problem: 'https' };
    default:
      return { ok: false, problem: 'scheme', scheme: url.protocol };
  }
}

/** True for names and addresses that only this machine can reach (the Host check's own rule). */
export function isLoopbackHost(host: string): boolean {
  return isLoopbackName(host.toLowerCase());
}

/**
 * Parses one listen URL. `allowRemote` permits TCP on non-loopback addresses: the API
 * is plain HTTP and carries secrets, so that takes an explicit decision.
 */
export function parseListenUrl(text: string, allowRemote: boolean): ListenerSpec {
  const parsed = parseUrl(text);
  const quoted = JSON.stringify(text);
  if (!parsed.ok) {
    switch (parsed.problem) {
      case 'not-url':
        throw new ConfigError(`listen ${quoted} is not a URL (expected unix:///path.sock, http://127.0.0.1:9999 or fd://NAME)`);
      case 'extras':
        throw new ConfigError(`listen ${quoted} must not have a user, query or fragment`);
      case 'unix-host':
        throw new ConfigError(`listen ${quoted}: a unix URL has an absolute path and no host (unix:///run/xprov/xprov.sock)`);
      case 'unix-not-file':
        throw new ConfigError(`listen ${quoted}: the socket path must name a file`);
      case 'http-path':
        throw new ConfigError(`listen ${quoted} must not have a path: IoT Edge requests paths at the root`);
      case 'https':
        throw new ConfigError(`listen ${quoted}: IoT Edge's external endpoint speaks plain HTTP only; use a unix socket to protect it`);
      case 'scheme':
        throw new ConfigError(`listen ${quoted} has unsupported scheme ${parsed.scheme} (use unix:, http: or fd:)`);
    }
  }
  const { spec } = parsed;
  if (spec.kind === 'tcp' && !allowRemote && !isLoopbackHost(spec.host)) {
    throw new ConfigError(`listen ${quoted} is not a loopback address; the API is plain HTTP and carries secrets (use --allow-remote to listen there anyway)`);
  }
  return spec;
}

const EXPECTED = 'expected unix:///path/to.sock or http://host:port';

/** Parses a client's endpoint URL; throws EndpointSyntaxError naming the problem. */
export function parseEndpoint(text: string): Endpoint {
  const parsed = parseUrl(text);
  const quoted = JSON.stringify(text);
  if (parsed.ok && parsed.spec.kind !== 'systemd') {
    return parsed.spec;
  }
  const problem = parsed.ok ? 'scheme' : parsed.problem;
  switch (problem) {
    case 'not-url':
      throw new EndpointSyntaxError(`endpoint ${quoted} is not a URL (${EXPECTED})`);
    case 'extras':
      throw new EndpointSyntaxError(`endpoint ${quoted} must not have a user, query or fragment`);
    case 'unix-host':
    case 'unix-not-file':
      throw new EndpointSyntaxError(`endpoint ${quoted}: a unix endpoint is an absolute socket path with no host (unix:///run/external/external.sock)`);
    case 'http-path':
      // The daemon would drop the path and still ask at the root: probing elsewhere
      // would test something the daemon never does.
      throw new EndpointSyntaxError(`endpoint ${quoted} must not have a path: IoT Edge ignores it and requests paths at the root`);
    case 'https':
      throw new EndpointSyntaxError(`endpoint ${quoted}: IoT Edge's external endpoint speaks plain HTTP only`);
    case 'scheme':
      // fd:// names a socket systemd hands to a listener: a client has nothing to connect to.
      throw new EndpointSyntaxError(`endpoint ${quoted} has unsupported scheme ${parsed.ok ? 'fd:' : parsed.scheme} (${EXPECTED})`);
  }
}

/** A listener or endpoint as the URL it was parsed from, for logs and messages. */
export function describeListener(spec: ListenerSpec): string {
  switch (spec.kind) {
    case 'unix':
      return `unix://${spec.path}`;
    case 'tcp':
      return `http://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
    case 'systemd':
      return `fd://${spec.name ?? ''}`;
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
