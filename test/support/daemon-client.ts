/**
 * A client that behaves like IoT Edge's daemon (IoT Edge 1.0.x-1.1, Azure/iotedge edgelet/):
 * HTTP/1.1, lower-case header names, a `user-agent` with the daemon's version, the
 * `api-version` query and nothing else, no body; over a Unix socket the Host header is
 * the socket path hex-encoded followed by `:0` (hyperlocal). Reprovision is sent as GET.
 *
 * Its parser is written independently of xprov's own checks, after the daemon's serde
 * structs: what it accepts is what the daemon would accept.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { request } from 'node:http';

/** An endpoint as the daemon's config.yaml names it. */
export type Endpoint = string;

/** A raw answer. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export const API_VERSION_QUERY = '?api-version=2019-04-10';

/** Sends one request the way the daemon does. `path` includes the query. */
export function daemonRequest(
  endpoint: Endpoint,
  method: string,
  path: string,
  extraHeaders: Record<string, string> = {},
  body?: Buffer,
): Promise<RawResponse> {
  const url = new URL(endpoint);
  const headers: Record<string, string> = { 'user-agent': '1.1.15 (xprov-test)', ...extraHeaders };
  const target =
    url.protocol === 'unix:' ? { socketPath: url.pathname, host: undefined } : { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 80) };
  // An explicit host header wins (tests of the Host check); else the daemon's own.
  headers.host = extraHeaders.host ?? (url.protocol === 'unix:' ? `${Buffer.from(url.pathname).toString('hex')}:0` : url.host);
  if (body) {
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method, path, headers, agent: false, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What the daemon ends up provisioning with. */
export interface DaemonProvisioning {
  readonly hubName: string;
  readonly deviceId: string;
  readonly status: string;
  readonly substatus: string;
  readonly credentials:
    | { readonly kind: 'symmetric-key-payload'; readonly key: Buffer }
    | { readonly kind: 'symmetric-key-hsm' }
    | { readonly kind: 'x509-payload'; readonly certificate: X509Certificate }
    | { readonly kind: 'x509-hsm'; readonly identityCert: string; readonly identityPrivateKey: string };
}

const STATUSES = ['assigned', 'assigning', 'disabled', 'failed', 'unassigned'];
const SUBSTATUSES = ['initialAssignment', 'deviceDataMigrated', 'deviceDataReset', 'reprovisionedToInitialAssignment'];

function requiredString(obj: Record<string, unknown>, field: string): string {
  const value = obj[field];
  if (typeof value !== 'string') {
    throw new Error(`missing or invalid field \`${field}\``);
  }
  return value;
}

function optionalString(obj: Record<string, unknown>, field: string): string | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`invalid type for field \`${field}\``);
  return value;
}

/** Decodes like Rust's base64 STANDARD engine: canonical, padded, no whitespace. */
function strictBase64(field: string, text: string): Buffer {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    throw new Error(`${field}: invalid base64`);
  }
  const decoded = Buffer.from(text, 'base64');
  if (decoded.toString('base64') !== text) {
    throw new Error(`${field}: invalid base64 (trailing bits)`);
  }
  return decoded;
}

/** Parses a 2xx answer's body like the daemon; throws the reason it would refuse to start. */
export function parseLikeDaemon(body: Buffer): DaemonProvisioning {
  const json: unknown = JSON.parse(body.toString('utf8'));
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('expected an object');
  const root = json as Record<string, unknown>;
  const hubName = requiredString(root, 'hubName');
  const deviceId = requiredString(root, 'deviceId');
  const credsRaw = root.credentials;
  if (typeof credsRaw !== 'object' || credsRaw === null || Array.isArray(credsRaw)) throw new Error('missing field `credentials`');
  const creds = credsRaw as Record<string, unknown>;
  const authType = requiredString(creds, 'authType');
  const source = requiredString(creds, 'source');
  const status = optionalString(root, 'status') ?? 'assigned';
  if (!STATUSES.includes(status)) throw new Error(`unknown status`);
  const substatusRaw = optionalString(root, 'substatus');
  const substatus = substatusRaw !== undefined && SUBSTATUSES.includes(substatusRaw) ? substatusRaw : 'initialAssignment';
  const key = optionalString(creds, 'key');
  const identityCert = optionalString(creds, 'identityCert');
  const identityPrivateKey = optionalString(creds, 'identityPrivateKey');
  const base = { hubName, deviceId, status, substatus };
  if (authType === 'symmetric-key' && source === 'payload') {
    if (key === undefined) throw new Error('symmetric key missing');
    return { ...base, credentials: { kind: 'symmetric-key-payload', key: strictBase64('key', key) } };
  }
  if (authType === 'symmetric-key' && source === 'hsm') {
    return { ...base, credentials: { kind: 'symmetric-key-hsm' } };
  }
  if (authType === 'x509' && source === 'payload') {
    if (identityCert === undefined || identityPrivateKey === undefined) throw new Error('identity certificate or key missing');
    const certPem = strictBase64('identityCert', identityCert).toString('utf8');
    const keyPem = strictBase64('identityPrivateKey', identityPrivateKey).toString('utf8');
    const certificate = new X509Certificate(certPem);
    createPrivateKey(keyPem);
    return { ...base, credentials: { kind: 'x509-payload', certificate } };
  }
  if (authType === 'x509' && source === 'hsm') {
    if (identityCert === undefined || identityPrivateKey === undefined) throw new Error('identity certificate or key reference missing');
    return { ...base, credentials: { kind: 'x509-hsm', identityCert, identityPrivateKey } };
  }
  throw new Error('unknown authType or source');
}

/** Gets the provisioning information like the daemon at boot; throws on any failure. */
export async function provisionLikeDaemon(endpoint: Endpoint): Promise<DaemonProvisioning> {
  const res = await daemonRequest(endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
  if (res.status < 200 || res.status > 299) {
    throw new Error(`provisioning failed with ${res.status}: ${res.body.toString('utf8')}`);
  }
  return parseLikeDaemon(res.body);
}

/** Sends the reprovision notice like the daemon (GET); resolves with the status. */
export async function reprovisionLikeDaemon(endpoint: Endpoint): Promise<number> {
  return (await daemonRequest(endpoint, 'GET', `/device/reprovision${API_VERSION_QUERY}`)).status;
}
