/**
 * The store document each kind of credentials makes, one small builder per kind.
 * Not checked here: the document is checked on the written file, as `xprov serve`
 * would load it (store-set.ts).
 */
import path from 'node:path';
import { parseDeviceConnectionString } from '../../store/connection-string.js';
import { UsageError } from '../../errors.js';
import type { CredentialsInput, DeviceIds, Given } from './credentials-input.js';
import type { Inputs } from './inputs.js';

/** A store document, as written to the store file. */
export type StoreDocument = Record<string, unknown>;

/** What a builder makes: the hub, the device and their credentials. */
interface Identity extends DeviceIds {
  readonly credentials: Record<string, unknown>;
}

/** The text of a value given inline or by a file (named by its option in errors). */
function text(value: Given, fileOption: string, inputs: Inputs): Promise<string> {
  return 'inline' in value ? Promise.resolve(value.inline) : inputs.read(fileOption, value.file);
}

async function fromConnectionString(input: Extract<CredentialsInput, { kind: 'connection-string' }>, inputs: Inputs): Promise<Identity> {
  const parsed = parseDeviceConnectionString(await text(input.connectionString, 'connection-string-file', inputs));
  if (!parsed.ok) {
    throw new UsageError(parsed.problem);
  }
  const { hubName, deviceId, key } = parsed.value;
  return { hubName, deviceId, credentials: { authType: 'symmetric-key', source: 'payload', key } };
}

async function fromSymmetricKey(input: Extract<CredentialsInput, { kind: 'symmetric-key' }>, inputs: Inputs): Promise<Identity> {
  const key = await text(input.key, 'key-file', inputs);
  return { ...input.ids, credentials: { authType: 'symmetric-key', source: 'payload', key: key.trim() } };
}

function fromHsmKey(input: Extract<CredentialsInput, { kind: 'hsm-key' }>): Identity {
  return { ...input.ids, credentials: { authType: 'symmetric-key', source: 'hsm' } };
}

async function fromCertificateFiles(input: Extract<CredentialsInput, { kind: 'certificate-files' }>, inputs: Inputs): Promise<Identity> {
  if (input.byPath) {
    // References: xprov reads the files at every load, so certificates rotated in place are served.
    const files = { identityCertFile: path.resolve(input.certFile), identityPrivateKeyFile: path.resolve(input.keyFile) };
    return { ...input.ids, credentials: { authType: 'x509', source: 'payload', ...files } };
  }
  const certPem = await inputs.read('cert', input.certFile);
  const keyPem = await inputs.read('private-key', input.keyFile);
  const inline = { identityCert: Buffer.from(certPem).toString('base64'), identityPrivateKey: Buffer.from(keyPem).toString('base64') };
  return { ...input.ids, credentials: { authType: 'x509', source: 'payload', ...inline } };
}

function fromHsmReferences(input: Extract<CredentialsInput, { kind: 'hsm-references' }>): Identity {
  return { ...input.ids, credentials: { authType: 'x509', source: 'hsm', identityCert: input.certRef, identityPrivateKey: input.keyRef } };
}

/** The identity `input` describes, reading its files or stdin. */
function identity(input: CredentialsInput, inputs: Inputs): Identity | Promise<Identity> {
  switch (input.kind) {
    case 'connection-string':
      return fromConnectionString(input, inputs);
    case 'symmetric-key':
      return fromSymmetricKey(input, inputs);
    case 'hsm-key':
      return fromHsmKey(input);
    case 'certificate-files':
      return fromCertificateFiles(input, inputs);
    case 'hsm-references':
      return fromHsmReferences(input);
  }
}

/** The store document: the identity `input` describes, with the status and substatus to report if given. */
export async function storeDocument(
  input: CredentialsInput,
  status: { readonly status?: string; readonly substatus?: string },
  inputs: Inputs,
): Promise<StoreDocument> {
  const { hubName, deviceId, credentials } = await identity(input, inputs);
  return {
    hubName,
    deviceId,
    credentials,
    ...(status.status === undefined ? {} : { status: status.status }),
    ...(status.substatus === undefined ? {} : { substatus: status.substatus }),
  };
}
