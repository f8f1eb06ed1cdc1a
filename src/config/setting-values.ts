/**
 * Checking the raw value of one setting, as a flag or the config file gave it, into
 * its typed value (config.ts assembles them). Each problem is a ConfigError naming
 * the setting and what it must be.
 */
import { normaliseAllowedHost } from '../endpoint/host-names.js';
import { ConfigError } from '../errors.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';

/** The raw value of a setting as given by a flag or the config file. */
export type Raw = string | boolean | number | string[] | undefined;

/** Parses a whole number of milliseconds. */
export function parseMs(name: string, raw: Raw): number {
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d{1,9}$/.test(text) || Number(text) === 0) {
    throw new ConfigError(`${name} must be a positive whole number of milliseconds`);
  }
  return Number(text);
}

/** Parses socketMode: octal bits that let the owner read and write. */
export function parseSocketMode(raw: Raw): number {
  const text = typeof raw === 'number' ? raw.toString(8) : raw;
  if (typeof text !== 'string' || !/^0?[0-7]{3}$/.test(text)) {
    throw new ConfigError('socketMode must be octal permission bits such as 0660');
  }
  const mode = Number.parseInt(text, 8);
  if ((mode & 0o600) !== 0o600) {
    throw new ConfigError('socketMode must let the owner read and write the socket (0600 or more)');
  }
  return mode;
}

/** Parses maxConnections: a positive whole number. */
export function parseMaxConnections(raw: Raw): number {
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d{1,6}$/.test(text) || Number(text) === 0) {
    throw new ConfigError('maxConnections must be a positive whole number (default 64)');
  }
  return Number(text);
}

/** Parses allowedHosts: host names or addresses, normalised. */
export function parseAllowedHosts(raw: Raw): string[] {
  const hosts = raw === undefined ? [] : asStringList('allowedHosts', raw);
  return hosts.map((host) => {
    const name = normaliseAllowedHost(host);
    if (name === undefined) {
      throw new ConfigError(
        `allowedHosts: ${JSON.stringify(host)} is not a host name or address (give it without scheme, port or path, e.g. edge-gateway.local)`,
      );
    }
    return name;
  });
}

/** Parses tpmTcti: a TCTI is `name` or `name:config`, printable, one line (it goes into the tools' environment). */
export function parseTpmTcti(raw: Raw): string {
  if (typeof raw !== 'string' || !/^[a-z][a-z0-9_-]*(:[\x21-\x7e]{0,200})?$/.test(raw)) {
    throw new ConfigError('tpmTcti must be a tpm2-tools TCTI such as device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321');
  }
  return raw;
}

/** Parses logLevel: one of the logger's levels. */
export function parseLogLevel(raw: Raw): LogLevel {
  const level = LOG_LEVELS.find((l) => l === raw);
  if (level === undefined) {
    throw new ConfigError(`logLevel must be one of: ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}

/** `raw` as a string, or a ConfigError naming the setting. */
export function asString(name: string, raw: Raw): string {
  if (typeof raw !== 'string') {
    throw new ConfigError(`${name} must be a string`);
  }
  return raw;
}

/** `raw` as a boolean, or a ConfigError naming the setting. */
export function asBoolean(name: string, raw: Raw): boolean {
  if (typeof raw !== 'boolean') {
    throw new ConfigError(`${name} must be true or false`);
  }
  return raw;
}

/** `raw` as a list of strings (one string is a list of one), or a ConfigError naming the setting. */
export function asStringList(name: string, raw: Raw): string[] {
  if (typeof raw === 'string') {
    return [raw];
  }
  if (Array.isArray(raw) && raw.every((item) => typeof item === 'string')) {
    return raw;
  }
  throw new ConfigError(`${name} must be a string or a list of strings`);
}
