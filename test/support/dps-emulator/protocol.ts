/**
 * The DPS wire protocol as the emulator speaks it (DPS's device registration REST API): routes,
 * api-versions, request bodies, credentials as sent, error answers and the parts of
 * registrationState that depend on the attestation.
 */
import { type X509Certificate, randomUUID } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { registerSecret } from '../secrets.js';
import { type PeerCertificates, type SasToken, parseSas, peerCertificates } from './credentials.js';
import type { Enrollment } from './types.js';

/** The API versions DPS devices use (dps.md). */
export const DPS_API_VERSIONS: readonly string[] = ['2019-03-31', '2021-06-01', '2021-10-01'];

/** The statuses the emulator answers errors with. */
export type ErrorStatus = 400 | 401 | 404 | 405 | 429 | 500 | 503;
// Error codes are status × 1000 + detail. 401002 is DPS's (dps.md); the others are
// plausible picks, stable so that tests may assert them.
const ERRORS: Record<ErrorStatus, { errorCode: number; message: string }> = {
  400: { errorCode: 400001, message: 'The request is invalid.' },
  401: { errorCode: 401002, message: 'Unauthorized' },
  404: { errorCode: 404201, message: 'The device enrollment was not found.' },
  405: { errorCode: 405001, message: 'The method is not allowed.' },
  429: { errorCode: 429001, message: 'Operations are being throttled for this tenant.' },
  500: { errorCode: 500001, message: 'An internal error occurred.' },
  503: { errorCode: 503001, message: 'The service is unavailable.' },
};

/** A refusal, answered with DPS's error body; `reason` only goes to the request log. */
export class DpsError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly reason: string,
    readonly errorCode: number = ERRORS[status].errorCode,
    message: string = ERRORS[status].message,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** What a request presented: a SAS token (or why it is not one), a client certificate, or nothing. */
export type Credential = { kind: 'sas'; token: SasToken | string } | { kind: 'x509'; peer: PeerCertificates } | { kind: 'none' };
/** A DPS request, routed. */
export type Route = { op: 'register' | 'lookup'; registrationId: string } | { op: 'poll'; registrationId: string; operationId: string };
const METHODS = { register: 'PUT', poll: 'GET', lookup: 'POST' } as const;

/** DPS's timestamp format: ISO 8601 with 7 fractional digits. */
export function timestamp(): string {
  return new Date().toISOString().replace('Z', '0000Z');
}

/** Routes `METHOD path`: 404 outside this ID scope's registration URLs, 405 for another method. */
export function parseRoute(method: string, pathname: string, idScope: string): Route {
  let segments: string[];
  try {
    segments = pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw new DpsError(404, 'undecodable path');
  }
  const [scope, collection, registrationId, action, operationId, ...extra] = segments;
  let route: Route | undefined;
  if (scope === idScope && collection === 'registrations' && registrationId && extra.length === 0) {
    if (action === undefined) route = { op: 'lookup', registrationId };
    else if (action === 'register' && operationId === undefined) route = { op: 'register', registrationId };
    else if (action === 'operations' && operationId) route = { op: 'poll', registrationId, operationId };
  }
  if (!route) {
    throw new DpsError(404, `no DPS route (or another ID scope) at ${pathname}`, 404001, 'Not found.');
  }
  if (method !== METHODS[route.op]) {
    throw new DpsError(405, `${method} on a ${route.op} path`);
  }
  return route;
}

const parseJson = bodyParser({ enableTypes: ['json'] });

/** The register/lookup body: `{"registrationId", "payload"?}`, registrationId as in the path. */
export async function readBody(ctx: Context, registrationId: string): Promise<{ payload?: unknown }> {
  if (!ctx.is('application/json')) {
    throw new DpsError(400, 'the body must be JSON with Content-Type: application/json');
  }
  try {
    await parseJson(ctx, async () => {});
  } catch {
    throw new DpsError(400, 'the body is not valid JSON');
  }
  const body = ctx.request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DpsError(400, 'the body is not a JSON object');
  }
  const fields = body as Record<string, unknown>;
  if (fields.registrationId !== registrationId) {
    throw new DpsError(400, "the body's registrationId is not the path's");
  }
  return { payload: fields.payload };
}

/** The credential a request presents: the Authorization header wins over a client certificate. */
export function readCredential(ctx: Context): Credential {
  const authorization = ctx.get('authorization');
  if (authorization !== '') {
    const token = parseSas(authorization);
    if (typeof token !== 'string' && token.signature.length >= 16) {
      // A SAS token is a bearer credential: the client under test must never print it.
      registerSecret(token.signature);
    }
    return { kind: 'sas', token };
  }
  const peer = ctx.req.socket instanceof TLSSocket ? peerCertificates(ctx.req.socket) : undefined;
  return peer ? { kind: 'x509', peer } : { kind: 'none' };
}

function certificateInfo(cert: X509Certificate): Record<string, unknown> {
  return {
    subjectName: cert.subject.split('\n').join(', '),
    sha1Thumbprint: cert.fingerprint.replaceAll(':', ''),
    sha256Thumbprint: cert.fingerprint256.replaceAll(':', ''),
    issuerName: cert.issuer.split('\n').join(', '),
    notBeforeUtc: new Date(cert.validFrom).toISOString(),
    notAfterUtc: new Date(cert.validTo).toISOString(),
    serialNumber: cert.serialNumber,
    version: 3,
  };
}

/** The attestation part of registrationState: `symmetricKey` for groups, `x509` for certificates. */
export function attestationResult(enrollment: Enrollment, credential: Credential): Record<string, unknown> {
  const enrollmentGroupId = enrollment.kind === 'group' ? enrollment.id : undefined;
  if (credential.kind === 'x509') {
    return { x509: { enrollmentGroupId, certificateInfo: certificateInfo(credential.peer.leaf) } };
  }
  return enrollmentGroupId === undefined ? {} : { symmetricKey: { enrollmentGroupId } };
}

/** Answers `error` the way DPS does: JSON error body, `x-ms-error-code`, Retry-After when set. */
export function answerError(ctx: Context, error: DpsError): void {
  ctx.status = error.status;
  ctx.set('x-ms-error-code', String(error.errorCode));
  if (error.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(error.retryAfterSeconds));
  ctx.body = { errorCode: error.errorCode, trackingId: randomUUID(), message: error.message, timestampUtc: timestamp() };
}
