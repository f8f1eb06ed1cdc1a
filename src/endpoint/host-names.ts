/**
 * Host names as the Host header and the allowedHosts setting give them, normalised so
 * that they compare: lower case, no port, no brackets, no final dot.
 */

/** The hostname part of a Host header, lower case, without port, brackets or final dot; undefined if malformed. */
export function hostName(host: string): string | undefined {
  const value = host.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) {
    return bracketed[1];
  }
  const named = /^([a-z0-9._-]+?)\.?(?::\d{1,5})?$/.exec(value);
  return named?.[1];
}

function isLoopbackIpv4(name: string): boolean {
  const parts = name.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** True for the names and addresses only this machine reaches: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name === '::1' || isLoopbackIpv4(name);
}

/**
 * An allowed host as configured (a DNS name or an address, without port) in the form
 * hostName() gives, or undefined when it is neither.
 */
export function normaliseAllowedHost(host: string): string | undefined {
  const text = host.trim().toLowerCase();
  // An IPv6 address has at least two colons; bracketed or not.
  const ipv6 = /^\[?([0-9a-f]*:[0-9a-f.]*:[0-9a-f:.]*)\]?$/.exec(text);
  if (ipv6) {
    return ipv6[1];
  }
  return /^([a-z0-9_-][a-z0-9._-]*?)\.?$/.exec(text)?.[1];
}
