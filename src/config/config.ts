/**
 * The one typed configuration of `xprov serve`. Every setting is declared once in
 * SETTINGS below, with its flag, its config-file key, its default and its help text;
 * flags, the YAML config file and `--help` are all derived from that table.
 * Precedence: built-in default < config file < flags.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LISTEN_URL, type ListenerSpec, parseListenUrl } from '../endpoint/endpoint-url.js';
import { ConfigError } from '../errors.js';
import { readTrustedFileSync } from '../files/trust.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { parseYamlStrict } from '../yaml-text.js';
import {
  type Raw,
  asBoolean,
  asString,
  asStringList,
  parseAllowedHosts,
  parseLogLevel,
  parseMaxConnections,
  parseMs,
  parseSocketMode,
  parseTpmTcti,
} from './setting-values.js';
import { DEFAULT_TPM_TCTI, type StoreLocation, parseStoreLocation } from './store-location.js';

/** The settings of `xprov serve`, resolved and checked. */
export interface ServeConfig {
  /** Where provisioning information comes from (the store). */
  readonly store: StoreLocation;
  /**
   * Where to listen. Never empty: when nothing is configured it is the passed sockets
   * under systemd socket activation, else DEFAULT_LISTEN_URL.
   */
  readonly listen: readonly ListenerSpec[];
  /** Permission bits of the Unix sockets xprov creates. */
  readonly socketMode: number;
  /** Group (name or gid) to give the Unix sockets xprov creates; undefined keeps the process's. */
  readonly socketGroup: string | undefined;
  /** Allow TCP listeners on non-loopback addresses. */
  readonly allowRemote: boolean;
  /** Minimum level of log lines. */
  readonly logLevel: LogLevel;
  /** Time a client has to send its request headers. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send its whole request. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open. */
  readonly keepAliveTimeoutMs: number;
  /** On SIGTERM/SIGINT, how long in-flight requests may take before connections are cut. */
  readonly shutdownTimeoutMs: number;
  /** Serve store files writable by group/others or readable by others (with a warning) instead of refusing them. */
  readonly insecurePermissions: boolean;
  /** Open connections across all listeners; at the limit the longest idle one makes room, else a new one is closed. */
  readonly maxConnections: number;
  /** Host names (lower case, no port) that TCP listeners answer besides loopback ones (DNS-rebinding protection). */
  readonly allowedHosts: readonly string[];
  /** How a `tpm:` store reaches its TPM (tpm2-tools' TCTI). */
  readonly tpmTcti: string;
}

interface Setting<K extends keyof ServeConfig> {
  readonly key: K;
  readonly flag: string;
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  /** The default, as it would be written in the config file. */
  readonly default: string | boolean | number | undefined;
  readonly help: string;
}

const DEFAULT_STORE = '/etc/xprov/provisioning.yaml';

/** Every setting, its flag, its default and its help: the one place defaults live. */
export const SETTINGS = [
  {
    key: 'store',
    flag: 'store',
    type: 'string',
    default: DEFAULT_STORE,
    help: "where provisioning information comes from: a path or file: URL of a YAML/JSON store file; credentials:DIR, a directory of one file per field (credentials: alone is systemd's $CREDENTIALS_DIRECTORY); dps:SETTINGS, register with DPS using that settings file; or tpm:INDEX[?format=document|connection-string][&auth=FILE], a TPM 2.0 NV index (e.g. tpm:0x01000bb9)",
  },
  {
    key: 'listen',
    flag: 'listen',
    type: 'string',
    multiple: true,
    default: undefined,
    help: `where to listen, repeatable: unix:///abs.sock, http://127.0.0.1:PORT, fd://NAME (a socket systemd passes, by its FileDescriptorName=; fd:// alone: all of them) (default ${DEFAULT_LISTEN_URL}, or the sockets systemd passes)`,
  },
  { key: 'socketMode', flag: 'socket-mode', type: 'string', default: '0660', help: 'octal permission bits of created Unix sockets' },
  {
    key: 'socketGroup',
    flag: 'socket-group',
    type: 'string',
    default: undefined,
    help: "group (name or gid) of created Unix sockets (default: the process's group)",
  },
  {
    key: 'allowRemote',
    flag: 'allow-remote',
    type: 'boolean',
    default: false,
    help: 'allow TCP listeners on non-loopback addresses (plain HTTP carrying secrets!)',
  },
  { key: 'logLevel', flag: 'log-level', type: 'string', default: 'info', help: `log level: ${LOG_LEVELS.join(', ')}` },
  { key: 'headersTimeoutMs', flag: 'headers-timeout-ms', type: 'string', default: 10_000, help: 'ms a client has to send its request headers' },
  { key: 'requestTimeoutMs', flag: 'request-timeout-ms', type: 'string', default: 30_000, help: 'ms a client has to send its whole request' },
  { key: 'keepAliveTimeoutMs', flag: 'keep-alive-timeout-ms', type: 'string', default: 5_000, help: 'ms an idle keep-alive connection stays open' },
  {
    key: 'shutdownTimeoutMs',
    flag: 'shutdown-timeout-ms',
    type: 'string',
    default: 10_000,
    help: 'ms in-flight requests get on SIGTERM before connections are cut',
  },
  {
    key: 'maxConnections',
    flag: 'max-connections',
    type: 'string',
    default: 64,
    help: 'open connections across all listeners; at the limit a new one closes the longest idle one, or is closed when all are busy',
  },
  {
    key: 'allowedHosts',
    flag: 'allowed-host',
    type: 'string',
    multiple: true,
    default: undefined,
    help: 'a Host name or address TCP listeners answer besides localhost, 127.0.0.0/8 and [::1] (others get 421: DNS-rebinding protection), repeatable',
  },
  {
    key: 'tpmTcti',
    flag: 'tpm-tcti',
    type: 'string',
    default: DEFAULT_TPM_TCTI,
    help: "how a tpm: store reaches its TPM, as tpm2-tools' TCTI: device:/dev/tpmrm0 (the kernel's resource manager), device:/dev/tpm0, tabrmd:, swtpm:host=127.0.0.1,port=2321",
  },
  {
    key: 'insecurePermissions',
    flag: 'insecure-permissions',
    type: 'boolean',
    default: false,
    help: 'use store, key, settings and state files that are not trusted (owner, mode or path: refused otherwise), and Unix sockets in a directory others could change, with a warning',
  },
] as const satisfies readonly Setting<keyof ServeConfig>[];

/** Where the process is and what it was given, so that parsing stays pure and testable. */
export interface ConfigContext {
  readonly cwd: string;
  /** True when systemd passed listening sockets (LISTEN_FDS for this process). */
  readonly socketActivated: boolean;
  /** Reads the config file instead of the real file system (which also checks it is trusted). */
  readonly readFile?: (file: string) => string;
  /** Told why the config file is not trusted when --insecure-permissions reads it anyway. */
  readonly warn?: (message: string) => void;
  /** The environment (for `credentials:`, $CREDENTIALS_DIRECTORY); defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

type SettingKey = (typeof SETTINGS)[number]['key'];

/** Help text for `xprov serve --help`, from SETTINGS. */
export function serveUsage(): string {
  const lines = SETTINGS.map((s) => {
    const arg = s.type === 'boolean' ? '' : ' VALUE';
    const def = s.default === undefined || s.default === false ? '' : ` [default: ${String(s.default)}]`;
    return `  --${s.flag}${arg}\n      ${s.help}${def}`;
  });
  return [
    'usage: xprov serve [--config FILE] [options]',
    '',
    'Serves the IoT Edge external provisioning API. Every option can also be set in the',
    'YAML config file under its camelCase key (e.g. socketMode: "0660"); flags win.',
    '',
    '  --config FILE\n      YAML config file',
    ...lines,
  ].join('\n');
}

/** Config files are a few settings; larger ones are refused unread. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The config file's text. It says which store to serve, so it must be trusted like the
 * store (files/trust.ts); only the --insecure-permissions flag can waive that, not the
 * file itself. A FIFO or device is refused, never opened for a blocking read.
 */
function readConfigText(file: string, context: ConfigContext, insecure: boolean): string {
  if (context.readFile !== undefined) {
    try {
      return context.readFile(file);
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const read = readTrustedFileSync(path.resolve(context.cwd, file), { role: 'public', maxBytes: MAX_CONFIG_BYTES, insecure });
  if (!read.ok) {
    throw new ConfigError(`config file ${file} ${read.problem}`);
  }
  if (read.untrusted !== undefined) {
    context.warn?.(`config file ${file} ${read.untrusted}; read anyway (--insecure-permissions)`);
  }
  return read.text;
}

/** Reads the config file into raw values keyed by setting; unknown keys are errors. */
function readConfigFile(file: string, context: ConfigContext, insecure: boolean): Partial<Record<SettingKey, Raw>> {
  const text = readConfigText(file, context, insecure);
  const parsed = parseYamlStrict(text);
  if (!parsed.ok) {
    throw new ConfigError(`config file ${file}: ${parsed.problems[0] ?? 'not valid YAML'}`);
  }
  const doc = parsed.value;
  if (doc === null || doc === undefined) {
    return {};
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`config file ${file} must be a mapping of settings`);
  }
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  const out: Partial<Record<SettingKey, Raw>> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (!known.has(key)) {
      throw new ConfigError(`config file ${file}: unknown setting ${JSON.stringify(key)} (known: ${[...known].join(', ')})`);
    }
    out[key as SettingKey] = value as Raw;
  }
  // A relative store path in a config file is relative to that file, not to the cwd.
  if (typeof out.store === 'string' && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(out.store)) {
    out.store = path.resolve(path.dirname(path.resolve(context.cwd, file)), out.store);
  }
  return out;
}

/**
 * Parses `xprov serve` arguments (after the subcommand) into a checked ServeConfig.
 * Throws ConfigError with a one-line explanation on any problem.
 */
export function parseServeConfig(argv: readonly string[], context: ConfigContext): ServeConfig {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { config: { type: 'string' } };
  for (const s of SETTINGS) {
    options[s.flag] = 'multiple' in s ? { type: s.type, multiple: true } : { type: s.type };
  }
  let values: unknown;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError((err as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  const flags = values as Record<string, Raw>;
  const fromFile = typeof flags.config === 'string' ? readConfigFile(flags.config, context, flags['insecure-permissions'] === true) : {};

  const raw = (key: SettingKey): Raw => {
    const setting = SETTINGS.find((s) => s.key === key);
    const flag = setting ? flags[setting.flag] : undefined;
    return flag ?? fromFile[key] ?? setting?.default;
  };

  const allowRemote = asBoolean('allowRemote', raw('allowRemote'));
  const listenRaw = raw('listen');
  const listenUrls = listenRaw === undefined ? [] : asStringList('listen', listenRaw);
  const listen = listenUrls.map((url) => parseListenUrl(url, allowRemote));
  const socketGroupRaw = raw('socketGroup');
  return {
    store: parseStoreLocation(asString('store', raw('store')), context.cwd, context.env),
    listen: listen.length > 0 ? listen : context.socketActivated ? [{ kind: 'systemd' }] : [parseListenUrl(DEFAULT_LISTEN_URL, false)],
    socketMode: parseSocketMode(raw('socketMode')),
    socketGroup:
      socketGroupRaw === undefined ? undefined : typeof socketGroupRaw === 'number' ? String(socketGroupRaw) : asString('socketGroup', socketGroupRaw),
    allowRemote,
    logLevel: parseLogLevel(raw('logLevel')),
    headersTimeoutMs: parseMs('headersTimeoutMs', raw('headersTimeoutMs')),
    requestTimeoutMs: parseMs('requestTimeoutMs', raw('requestTimeoutMs')),
    keepAliveTimeoutMs: parseMs('keepAliveTimeoutMs', raw('keepAliveTimeoutMs')),
    shutdownTimeoutMs: parseMs('shutdownTimeoutMs', raw('shutdownTimeoutMs')),
    insecurePermissions: asBoolean('insecurePermissions', raw('insecurePermissions')),
    maxConnections: parseMaxConnections(raw('maxConnections')),
    allowedHosts: parseAllowedHosts(raw('allowedHosts')),
    tpmTcti: parseTpmTcti(raw('tpmTcti')),
  };
}
