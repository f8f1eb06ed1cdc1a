/**
 * The DPS store's settings: a YAML file named by `--store dps:/etc/xprov/dps.yaml`.
 * Their shape is openapi/dps-settings.schema.yaml (checked by settings-schema.ts);
 * every field is documented there and in docs/dps.md; defaults live here.
 * Secrets (keys, private keys) may be given inline or, better, by file; files are read
 * here once, at start-up, and only when trusted (files/trust.ts).
 */
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { isStandardBase64 } from '../contract/daemon-rules.js';
import { ConfigError } from '../errors.js';
import { type FileRole, INSECURE_HINT, permissionProblem, readTrustedFileSync } from '../files/trust.js';
import { type BackoffPolicy, DEFAULT_BACKOFF } from './retry.js';
import { checkDpsSettings } from './settings-schema.js';
import { parseYamlStrict } from '../yaml-text.js';

/** The public DPS endpoint. */
export const DEFAULT_DPS_ENDPOINT = 'global.azure-devices-provisioning.net';
/** The current stable DPS device API version. */
export const DEFAULT_DPS_API_VERSION = '2021-10-01';

/** How the device attests to DPS, and what IoT Edge is then given. */
export type DpsAttestation =
  | {
      readonly type: 'symmetric-key';
      /** individual: the key is the device key; group: the group key, from which the device key is derived. */
      readonly enrollment: 'individual' | 'group';
      readonly keyBase64: string;
    }
  | {
      readonly type: 'x509';
      /** The device certificate, optionally followed by its chain (PEM). */
      readonly certChainPem: string;
      readonly privateKeyPem: string;
      /** payload: IoT Edge gets the PEM (base64); hsm: it gets these references instead. */
      readonly serveAs: { readonly kind: 'payload' } | { readonly kind: 'hsm'; readonly identityCert: string; readonly identityPrivateKey: string };
    };

/** A command run after a reprovision that changed the assignment. */
export interface ReprovisionHook {
  /** Program and arguments; run without a shell. */
  readonly argv: readonly [string, ...string[]];
  readonly timeoutMs: number;
}

/** Resolved settings of the DPS store. */
export interface DpsSettings {
  /** `host` or `host:port`. */
  readonly endpoint: string;
  readonly idScope: string;
  readonly registrationId: string;
  readonly apiVersion: string;
  readonly attestation: DpsAttestation;
  /** Sent with the registration (custom allocation policies read it). */
  readonly payload: unknown;
  /** Extra CA certificates (PEM) to trust for the endpoint. */
  readonly trustedCaPem: string | undefined;
  /** Where the registration result is kept. */
  readonly stateDir: string;
  /** A registration, retries included, gives up after this long. */
  readonly registrationTimeoutMs: number;
  /** Backoff between retries: the first delay's bound and the largest (jittered, ≥ Retry-After). */
  readonly retry: BackoffPolicy;
  readonly reprovisionHooks: readonly ReprovisionHook[];
  /** A new registration starts at most this often; calls within it get the last outcome. */
  readonly minRegistrationIntervalMs: number;
}

const DEFAULT_STATE_DIR = '/var/lib/xprov';
const DEFAULT_REGISTRATION_TIMEOUT_MS = 120_000;
const DEFAULT_HOOK_TIMEOUT_MS = 30_000;
/** Short enough for an operator's retry, long enough that a client looping on reprovision cannot flood DPS. */
export const DEFAULT_MIN_REGISTRATION_INTERVAL_MS = 30_000;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;

/** Why `pem` is not a usable CA file (no certificate, or one that does not parse), or undefined. */
function caFileProblem(pem: string): string | undefined {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return 'holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)';
  const bad = blocks.findIndex((block) => {
    try {
      new X509Certificate(block);
      return false;
    } catch {
      return true;
    }
  });
  return bad === -1 ? undefined : `certificate ${bad + 1} is not a valid X.509 certificate`;
}

/** Settings, key, certificate and CA files are a few KiB; larger ones are refused unread. */
const MAX_FILE_BYTES = 1024 * 1024;

/** Options of loadDpsSettings. */
export interface DpsSettingsOptions {
  /** Read files that are not trusted (files/trust.ts), with a warning (--insecure-permissions). */
  readonly insecurePermissions?: boolean;
  /** Told why a file was read although it is not trusted. */
  readonly warn?: (message: string) => void;
  /** Reads files instead of the file system, unchecked (tests of the shipped examples, whose files are elsewhere). */
  readonly readFile?: (file: string) => string;
}

/** A settings file holding the key inline is a key file: others must not read it. */
function inlineKeyCheck(file: string, mode: number | undefined, options: DpsSettingsOptions): void {
  const loose = mode === undefined || (mode & 0o004) === 0 ? undefined : permissionProblem(file, mode, 'secret');
  if (loose === undefined) return;
  const problem = `DPS settings ${file} holds attestation.key inline but ${loose}, or move the key to a keyFile`;
  if (options.insecurePermissions !== true) throw new ConfigError(`${problem}${INSECURE_HINT}`);
  options.warn?.(`${problem}; read anyway (--insecure-permissions)`);
}

/**
 * Reads and checks the settings, resolving relative paths against the file's directory.
 * The settings file and every file it names must be trusted (files/trust.ts): the
 * settings pick the DPS endpoint, its CA and the state directory; key files, and a
 * settings file holding a key inline, must not be readable by others either.
 */
export function loadDpsSettings(file: string, options: DpsSettingsOptions = {}): DpsSettings {
  const where = `DPS settings ${file}`;
  const fail = (message: string): never => {
    throw new ConfigError(`${where}: ${message}`);
  };
  /** The file's text and mode (unknown when options.readFile reads it), or a ConfigError `${label} ${problem}`. */
  const readChecked = (f: string, role: FileRole, label: string): { text: string; mode?: number } => {
    if (options.readFile !== undefined) {
      try {
        return { text: options.readFile(f) };
      } catch (err) {
        throw new ConfigError(`${label} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    const read = readTrustedFileSync(f, { role, maxBytes: MAX_FILE_BYTES, insecure: options.insecurePermissions === true });
    if (!read.ok) throw new ConfigError(`${label} ${read.problem}`);
    if (read.untrusted !== undefined) options.warn?.(`${label} ${read.untrusted}; read anyway (--insecure-permissions)`);
    return { text: read.text, mode: read.mode };
  };
  const settingsFile = readChecked(file, 'public', where);
  const parsed = parseYamlStrict(settingsFile.text);
  if (!parsed.ok) {
    return fail(parsed.problems[0] ?? 'not valid YAML');
  }
  // The shape (types, ranges, unknown settings, what x509 and serveAs hsm require):
  // openapi/dps-settings.schema.yaml. What follows is what a schema cannot say.
  const checked = checkDpsSettings(parsed.value);
  if (!checked.ok) {
    return fail(checked.problem);
  }
  const doc = checked.doc;
  const base = path.dirname(path.resolve(file));
  const resolve = (p: string): string => path.resolve(base, p);
  /** A field the schema requires here; a TypeScript type cannot say "required when". */
  const given = (value: string | undefined, label: string): string => value ?? fail(`${label} must be a non-empty string`);
  const readSecretFile = (p: string, label: string, role: FileRole = 'secret'): string =>
    readChecked(resolve(p), role, `${where}: ${label} ${resolve(p)}`).text;

  const att = doc.attestation;
  let attestation: DpsAttestation;
  if (att.type === 'symmetricKey') {
    if ((att.key === undefined) === (att.keyFile === undefined)) fail('attestation needs exactly one of key and keyFile');
    if (att.key !== undefined) inlineKeyCheck(file, settingsFile.mode, options);
    const key = (att.key ?? readSecretFile(given(att.keyFile, 'attestation.keyFile'), 'attestation.keyFile')).trim();
    if (!isStandardBase64(key)) fail(`attestation ${att.key !== undefined ? 'key' : 'keyFile content'} must be standard base64`);
    attestation = { type: 'symmetric-key', enrollment: att.enrollment ?? 'individual', keyBase64: key };
  } else {
    const certChainPem = readSecretFile(given(att.certFile, 'attestation.certFile'), 'attestation.certFile', 'public');
    const privateKeyPem = readSecretFile(given(att.keyFile, 'attestation.keyFile'), 'attestation.keyFile');
    if (!certChainPem.includes('-----BEGIN CERTIFICATE-----')) fail('attestation.certFile must hold a PEM certificate');
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKeyPem)) fail('attestation.keyFile must hold a PEM private key');
    const refs = att.hsm;
    const serveAs: Extract<DpsAttestation, { type: 'x509' }>['serveAs'] =
      att.serveAs === 'hsm'
        ? {
            kind: 'hsm',
            identityCert: given(refs?.identityCert, 'attestation.hsm.identityCert'),
            identityPrivateKey: given(refs?.identityPrivateKey, 'attestation.hsm.identityPrivateKey'),
          }
        : { kind: 'payload' };
    attestation = { type: 'x509', certChainPem, privateKeyPem, serveAs };
  }

  const reprovisionHooks = (doc.reprovisionHooks ?? []).map((hook, i): ReprovisionHook => {
    const [program, ...args] = hook.argv;
    if (program === undefined) return fail(`reprovisionHooks[${i}].argv must be a list of strings starting with an absolute program path (no shell is used)`);
    return { argv: [program, ...args], timeoutMs: hook.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS };
  });

  const retry = { initialMs: doc.retryInitialDelayMs ?? DEFAULT_BACKOFF.initialMs, maxMs: doc.retryMaxDelayMs ?? DEFAULT_BACKOFF.maxMs };
  const caFile = doc.trustedCaFile;
  const trustedCaPem = caFile === undefined ? undefined : readSecretFile(caFile, 'trustedCaFile', 'public');
  const caProblem = trustedCaPem === undefined ? undefined : caFileProblem(trustedCaPem);
  if (caProblem !== undefined) {
    // Node would silently trust nothing extra: fail now rather than at the first TLS error.
    fail(`trustedCaFile ${resolve(caFile as string)} ${caProblem}`);
  }

  return {
    endpoint: doc.endpoint ?? DEFAULT_DPS_ENDPOINT,
    idScope: doc.idScope,
    registrationId: doc.registrationId,
    apiVersion: doc.apiVersion ?? DEFAULT_DPS_API_VERSION,
    attestation,
    payload: doc.payload,
    trustedCaPem,
    stateDir: resolve(doc.stateDir ?? DEFAULT_STATE_DIR),
    registrationTimeoutMs: doc.registrationTimeoutMs ?? DEFAULT_REGISTRATION_TIMEOUT_MS,
    retry,
    reprovisionHooks,
    minRegistrationIntervalMs: doc.minRegistrationIntervalMs ?? DEFAULT_MIN_REGISTRATION_INTERVAL_MS,
  };
}
