/**
 * Listeners as a tagged union parsed from a URL, in the daemon's own endpoint syntax
 * (the model is iot-identity-service's `Connector`):
 *
 * - `unix:///abs/path.sock`: a Unix socket xprov creates;
 * - `http://127.0.0.1:9999`: TCP, loopback only unless remote listening is allowed;
 * - `fd://NAME`: a socket passed by systemd socket activation, by its FileDescriptorName
 *   (`fd://` alone: every passed socket).
 */
import { ConfigError } from './config-error.js';
import { isLoopbackName } from './host-names.js';

/** Where to listen. */
export type ListenerSpec =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'systemd'; readonly name?: string };

/** The listener IoT Edge's documentation uses, and xprov's default. */
export const DEFAULT_LISTEN_URL = 'http://127.0.0.1:9999';

/** True for names and addresses that only this machine can reach (the Host check's own rule). */
export function isLoopbackHost(host: string): boolean {
  return isLoopbackName(host.toLowerCase());
}

/** A ListenerSpec as the URL it was parsed from, for logs and messages. */
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

/**
 * Parses one listen URL. `allowRemote` permits TCP on non-loopback addresses: the API
 * is plain HTTP and carries secrets, so that takes an explicit decision.
 */
export function parseListenUrl(text: string, allowRemote: boolean): ListenerSpec {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`listen ${JSON.stringify(text)} is not a URL (expected unix:///path.sock, http://127.0.0.1:9999 or fd://NAME)`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`listen ${JSON.stringify(text)} must not have a user, query or fragment`);
  }
  switch (url.protocol) {
    case 'unix:': {
      if (url.host !== '') {
        throw new ConfigError(`listen ${JSON.stringify(text)}: a unix URL has an absolute path and no host (unix:///run/xprov/xprov.sock)`);
      }
      const path = decodeURIComponent(url.pathname);
      if (path === '/' || path.endsWith('/')) {
        throw new ConfigError(`listen ${JSON.stringify(text)}: the socket path must name a file`);
      }
      return { kind: 'unix', path };
    }
    case 'http:': {
      if (url.pathname !== '/' && url.pathname !== '') {
        // IoT Edge drops any path of its endpoint URL and requests absolute paths.
        throw new ConfigError(`listen ${JSON.stringify(text)} must not have a path: IoT Edge requests paths at the root`);
      }
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (!allowRemote && !isLoopbackHost(host)) {
        throw new ConfigError(
          `listen ${JSON.stringify(text)} is not a loopback address; the API is plain HTTP and carries secrets (use --allow-remote to listen there anyway)`,
        );
      }
      return { kind: 'tcp', host, port: url.port === '' ? 80 : Number(url.port) };
    }
    case 'fd:': {
      const name = decodeURIComponent(url.host + url.pathname).replace(/\/$/, '');
      return name === '' ? { kind: 'systemd' } : { kind: 'systemd', name };
    }
    case 'https:':
      throw new ConfigError(`listen ${JSON.stringify(text)}: IoT Edge's external endpoint speaks plain HTTP only; use a unix socket to protect it`);
    default:
      throw new ConfigError(`listen ${JSON.stringify(text)} has unsupported scheme ${url.protocol} (use unix:, http: or fd:)`);
  }
}
