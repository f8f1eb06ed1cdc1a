/**
 * Plausibility of the references served with `x509` + `source: hsm`. They are passed
 * as they are to the device's HSM library, so xprov cannot know what it accepts; it
 * checks the two usual forms and reports them, and never opens what they name (the
 * secret behind a reference stays in the HSM):
 *
 * - a `pkcs11:` URI must be well-formed (RFC 7512): a malformed one is refused, since
 *   its scheme says what it means to be;
 * - an absolute path is looked up (lstat, not read): missing draws a warning, since the
 *   HSM library may run in another partition with other files;
 * - anything else draws a warning.
 *
 * Notes describe each reference for `xprov store validate`: the attributes of a URI
 * (values only of those that name things: a PIN, wherever it is put, and vendor
 * attributes, which may hold one, are masked) or the path.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { PLAIN_ATTRIBUTES, describeAttributeName, isPkcs11Uri, parsePkcs11Uri } from '../contract/pkcs11-uri.js';
import type { Credentials } from '../contract/types.js';
import { describeReadError } from './read-store-file.js';

/** What the checks found. */
export interface ReferenceFindings {
  readonly problems: string[];
  readonly warnings: string[];
  readonly notes: string[];
}

/** The object type a reference of each field should name. */
const EXPECTED_TYPE = { identityCert: 'cert', identityPrivateKey: 'private' } as const;

async function checkReference(field: keyof typeof EXPECTED_TYPE, reference: string, findings: ReferenceFindings): Promise<void> {
  const label = `credentials.${field}`;
  if (isPkcs11Uri(reference)) {
    const parsed = parsePkcs11Uri(reference);
    if (!parsed.ok) {
      findings.problems.push(`${label} is not a well-formed pkcs11: URI: ${parsed.problem}`);
      return;
    }
    const { path: attributes, query, unknown } = parsed.uri;
    const type = attributes.get('type');
    if (type !== undefined && type !== EXPECTED_TYPE[field]) {
      findings.warnings.push(`${label} names a PKCS#11 object of type ${type}; expected type=${EXPECTED_TYPE[field]}`);
    }
    if (unknown.length > 0) {
      findings.warnings.push(
        `${label} has PKCS#11 URI attributes RFC 7512 does not define: ${unknown.map(describeAttributeName).join(', ')} (vendor ones start with x-)`,
      );
    }
    if (query.has('pin-value')) {
      findings.warnings.push(`${label} carries a PIN (pin-value), which is served to the daemon; prefer pin-source`);
    }
    // pin-value in the path part is a mistake, but still a PIN.
    const describe = ([name, value]: [string, string]): string =>
      `${describeAttributeName(name)}=${name !== 'pin-value' && PLAIN_ATTRIBUTES.has(name) ? value : '<masked>'}`;
    const shown = [...attributes].map(describe);
    const shownQuery = [...query].map(describe);
    findings.notes.push(`${label}: PKCS#11 URI (${[...shown, ...shownQuery].join(', ') || 'no attributes'})`);
    return;
  }
  if (path.isAbsolute(reference)) {
    try {
      const stat = await lstat(reference);
      findings.notes.push(`${label}: path ${reference} (exists, ${stat.isFile() ? 'a file' : 'not a regular file'})`);
    } catch (err) {
      findings.warnings.push(`${label}: ${reference} ${describeReadError(err)} here; fine only if the daemon's HSM library finds it elsewhere`);
    }
    return;
  }
  findings.warnings.push(`${label} is neither a pkcs11: URI nor an absolute path; it is passed to the daemon's HSM library as it is`);
  findings.notes.push(`${label}: an opaque reference`);
}

/** Checks the references of `credentials` (x509 with source hsm; both present). */
export async function hsmReferenceFindings(credentials: Credentials): Promise<ReferenceFindings> {
  const findings: ReferenceFindings = { problems: [], warnings: [], notes: [] };
  for (const field of ['identityCert', 'identityPrivateKey'] as const) {
    const reference = credentials[field];
    if (reference !== undefined) {
      await checkReference(field, reference, findings);
    }
  }
  return findings;
}
