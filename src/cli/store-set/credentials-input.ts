/**
 * Which credentials `xprov store set` is given, as a tagged union chosen from the
 * flags: each kind's flag rules are checked here, before anything is read, so that a
 * bad command line is refused (exit code 2) without touching stdin or a file.
 */
import { UsageError } from '../../errors.js';
import type { SetValues } from './options.js';

/** A value given on the command line itself, or by a file (`-`: stdin). */
export type Given = { readonly inline: string } | { readonly file: string };

/** The hub and device, named by flags for every kind but a connection string. */
export interface DeviceIds {
  readonly hubName: string;
  readonly deviceId: string;
}

/** The credentials the flags describe. */
export type CredentialsInput =
  | { readonly kind: 'connection-string'; readonly connectionString: Given }
  | { readonly kind: 'symmetric-key'; readonly ids: DeviceIds; readonly key: Given }
  | { readonly kind: 'hsm-key'; readonly ids: DeviceIds }
  | { readonly kind: 'certificate-files'; readonly ids: DeviceIds; readonly certFile: string; readonly keyFile: string; readonly byPath: boolean }
  | { readonly kind: 'hsm-references'; readonly ids: DeviceIds; readonly certRef: string; readonly keyRef: string };

/** One of the kinds of CredentialsInput. */
export type CredentialsKind = CredentialsInput['kind'];

/** Each kind's name in messages and whether the flags ask for it, in the order messages list them. */
const KINDS: Readonly<Record<CredentialsKind, { readonly label: string; readonly asked: (values: SetValues) => boolean }>> = {
  'connection-string': { label: 'a connection string', asked: (v) => v['connection-string'] !== undefined || v['connection-string-file'] !== undefined },
  'symmetric-key': { label: 'a symmetric key', asked: (v) => v.key !== undefined || v['key-file'] !== undefined },
  'hsm-key': { label: 'an HSM-held key', asked: (v) => v['hsm-key'] === true },
  'certificate-files': { label: 'certificate files', asked: (v) => v.cert !== undefined || v['private-key'] !== undefined },
  'hsm-references': { label: 'HSM references', asked: (v) => v['cert-ref'] !== undefined || v['private-key-ref'] !== undefined },
};

type StringOption = { [K in keyof SetValues]-?: NonNullable<SetValues[K]> extends string ? K : never }[keyof SetValues];

/** `--a` and `--b` are both required together, or exactly one of them is (`oneOf`). */
function pair(values: SetValues, a: StringOption, b: StringOption, oneOf: boolean): void {
  const given = [a, b].filter((k) => values[k] !== undefined);
  if (oneOf ? given.length !== 1 : given.length === 1) {
    throw new UsageError(oneOf ? `give one of --${a} and --${b}` : `--${a} and --${b} go together`);
  }
}

/** The one of `--inline` and `--file` given (pair() has checked that exactly one is). */
function given(values: SetValues, inline: StringOption, file: StringOption): Given {
  const text = values[inline];
  return text !== undefined ? { inline: text } : { file: values[file] ?? '-' };
}

/** The hub and device options, required by every kind but a connection string. */
function deviceIds(values: SetValues): DeviceIds {
  if (values.hub === undefined || values.device === undefined) {
    throw new UsageError('--hub and --device are required (or give a connection string); see xprov store set --help');
  }
  return { hubName: values.hub, deviceId: values.device };
}

/** Each kind's input from the flags, its rules checked. */
const FROM_FLAGS: { readonly [K in CredentialsKind]: (values: SetValues) => Extract<CredentialsInput, { kind: K }> } = {
  'connection-string': (values) => {
    pair(values, 'connection-string', 'connection-string-file', true);
    if (values.hub !== undefined || values.device !== undefined) {
      throw new UsageError('a connection string names the hub and the device: drop --hub and --device');
    }
    return { kind: 'connection-string', connectionString: given(values, 'connection-string', 'connection-string-file') };
  },
  'symmetric-key': (values) => {
    pair(values, 'key', 'key-file', true);
    return { kind: 'symmetric-key', ids: deviceIds(values), key: given(values, 'key', 'key-file') };
  },
  'hsm-key': (values) => ({ kind: 'hsm-key', ids: deviceIds(values) }),
  'certificate-files': (values) => {
    pair(values, 'cert', 'private-key', false);
    const ids = deviceIds(values);
    const [certFile, keyFile] = [values.cert ?? '', values['private-key'] ?? ''];
    const byPath = values['by-path'] === true;
    if (byPath && keyFile === '-') {
      throw new UsageError('--by-path needs --private-key to name a file, not stdin');
    }
    return { kind: 'certificate-files', ids, certFile, keyFile, byPath };
  },
  'hsm-references': (values) => {
    pair(values, 'cert-ref', 'private-key-ref', false);
    const ids = deviceIds(values);
    return { kind: 'hsm-references', ids, certRef: values['cert-ref'] ?? '', keyRef: values['private-key-ref'] ?? '' };
  },
};

/** The credentials the flags describe: exactly one kind, its flags complete; UsageError otherwise. */
export function credentialsInput(values: SetValues): CredentialsInput {
  const kinds = (Object.keys(KINDS) as CredentialsKind[]).filter((kind) => KINDS[kind].asked(values));
  const [kind] = kinds;
  if (kind === undefined || kinds.length !== 1) {
    throw new UsageError(
      kinds.length === 0
        ? 'store set needs credentials; see xprov store set --help'
        : `store set takes one kind of credentials, not ${kinds.map((k) => KINDS[k].label).join(' and ')}`,
    );
  }
  if (values['by-path'] === true && values.cert === undefined) {
    throw new UsageError('--by-path goes with --cert and --private-key');
  }
  return FROM_FLAGS[kind](values);
}
