/**
 * Masks secrets in free text that is about to be logged, such as the message of an
 * error thrown by a library. xprov's own messages never carry secrets; this is the
 * second line of defence for text it does not control.
 */

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g;
const KEY_VALUE = /\b(SharedAccessKey|SharedAccessSignature|sig|key|password|secret)=([^;&\s"']+)/gi;
// Long base64 runs: keys, signatures, PEM bodies. Ids, host names and paths have
// separators (dots, dashes, slashes every few characters) and stay readable.
const BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}/g;

/** `text` with PEM blocks, `key=value` secrets and long base64 runs replaced by a marker. */
export function redactSecrets(text: string): string {
  return text
    .replace(PEM_BLOCK, '[PEM redacted]')
    .replace(KEY_VALUE, '$1=[redacted]')
    .replace(BASE64_RUN, (run) => (/[0-9+/=]/.test(run) && /[A-Z]/.test(run) && /[a-z]/.test(run) ? '[redacted]' : run));
}
