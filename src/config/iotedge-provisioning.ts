/**
 * The `provisioning:` block of IoT Edge's config.yaml (1.0.x-1.1) that points the
 * daemon at xprov, derived from xprov's listeners.
 */
import path from 'node:path';
import { type ListenerSpec, describeListener } from '../endpoint/endpoint-url.js';
import { ConfigError } from '../errors.js';

/** Addresses that mean "every interface" to a listener; the daemon, on the same machine, connects to loopback. */
const WILDCARD_TO_LOOPBACK: Readonly<Record<string, string>> = { '0.0.0.0': '127.0.0.1', '::': '::1' };

/**
 * The endpoint the daemon should use: the first Unix socket xprov creates, else the
 * first socket systemd passes (whose path is `socketPath`: it is set by the .socket
 * unit's ListenStream=, and xprov's own configuration only knows the socket's name),
 * else the first TCP listener. Unix sockets come first: anything on the machine can
 * connect over TCP, while a socket's mode and group restrict who gets the secrets.
 */
export function daemonEndpoint(listeners: readonly ListenerSpec[], socketPath: string | undefined): string {
  const unix = listeners.find((l) => l.kind === 'unix');
  if (unix !== undefined) {
    return describeListener(unix);
  }
  const passed = listeners.find((l) => l.kind === 'systemd');
  if (passed !== undefined) {
    if (socketPath === undefined) {
      throw new ConfigError(
        `${describeListener(passed)} is a socket systemd creates from its .socket unit, whose path xprov cannot know: give it with --socket-path (the unit's ListenStream=, e.g. /run/external/external.sock)`,
      );
    }
    if (!path.isAbsolute(socketPath)) {
      throw new ConfigError('--socket-path must be an absolute path');
    }
    return `unix://${socketPath}`;
  }
  const tcp = listeners.find((l) => l.kind === 'tcp');
  if (tcp === undefined) {
    throw new ConfigError('no listener to point IoT Edge at');
  }
  return describeListener({ ...tcp, host: WILDCARD_TO_LOOPBACK[tcp.host] ?? tcp.host });
}

/** The YAML block for `endpoint`; xprov serves reprovision, so dynamic reprovisioning is on. */
export function provisioningBlock(endpoint: string): string {
  return [
    '# IoT Edge 1.0.x-1.1: replace the provisioning: section of /etc/iotedge/config.yaml with this,',
    '# then restart iotedge (xprov must be listening first).',
    'provisioning:',
    '  source: "external"',
    // JSON strings are valid YAML double-quoted scalars, escapes included.
    `  endpoint: ${JSON.stringify(endpoint)}`,
    '  dynamic_reprovisioning: true',
    '',
  ].join('\n');
}
