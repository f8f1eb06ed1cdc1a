/**
 * Which `Host` a TCP listener answers: DNS-rebinding protection. A page in a browser on
 * the device can point a name it controls (evil.example) at 127.0.0.1 and then read
 * the answers of a loopback listener as same-origin; the browser still sends that name
 * as Host. So over TCP only loopback names and addresses and the names the operator
 * allowed are answered. (Unix sockets are out of a browser's reach, and the daemon
 * sends the socket path hex-encoded as their Host: they are not checked.)
 */

import { hostName, isLoopbackName } from '../endpoint/host-names.js';

/**
 * Undefined when `host` (the request's Host header) may be answered, else the problem
 * as a client-visible message. `allowed` holds normalised names (normaliseAllowedHost).
 */
export function hostProblem(host: string | undefined, allowed: ReadonlySet<string>): string | undefined {
  if (host === undefined || host === '') {
    return 'the request has no Host header; over TCP only loopback hosts and allowedHosts are answered';
  }
  const name = hostName(host);
  if (name !== undefined && (isLoopbackName(name) || allowed.has(name))) {
    return undefined;
  }
  const shown = host.length > 100 ? `${host.slice(0, 100)}...` : host;
  return (
    `Host ${JSON.stringify(shown)} is not answered here: over TCP only loopback hosts ` +
    '(localhost, 127.0.0.0/8, [::1]) and the names in allowedHosts (--allowed-host) are, against DNS rebinding'
  );
}
