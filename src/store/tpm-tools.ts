/**
 * Running tpm2-tools (Debian `tpm2-tools`) on one NV index: the only way xprov talks
 * to a TPM. Each call is bounded: a timeout, a cap on what it may print, a minimal
 * environment (PATH and the TCTI: nothing of xprov's own environment reaches it).
 *
 * No secret is ever on a command line (every user can read argv in /proc): the
 * index's auth value is passed as `file:PATH`, the operator's auth file, which the
 * tool reads itself, and data to write goes through stdin (`-i -`). The TCTI (which
 * TPM: `device:/dev/tpmrm0`, `swtpm:host=...,port=...`) goes in TPM2TOOLS_TCTI.
 *
 * Failures are TpmFailure with the TPM's reason, as the tool said it (its `ERROR:`
 * line with the response code), never anything it was given.
 */
import { execFile } from 'node:child_process';
import { formatNvIndex } from '../config/store-location.js';

/** Where the TPM is and how the index is authorised. */
export interface TpmAccess {
  /** The TCTI, e.g. `device:/dev/tpmrm0` or `swtpm:host=127.0.0.1,port=2321`. */
  readonly tcti: string;
  readonly index: number;
  /** The index's auth value is this file's bytes, exactly (tpm2-tools' `file:`); the empty auth when undefined. */
  readonly authFile?: string;
}

/** How long a tool may run and how much it may print. */
export interface ToolLimits {
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
}

/**
 * A TPM answers an NV command in well under a second (a hung resource manager must
 * not hang xprov), and NV indices are at most a few KiB (TPM2_PT_NV_INDEX_MAX: 2048 on
 * swtpm): more output is not a TPM's.
 */
export const TOOL_LIMITS: ToolLimits = { timeoutMs: 15_000, maxOutputBytes: 64 * 1024 };

/** A tpm2-tools call failed; `message` is the TPM's or the tool's reason (never a value it was given). */
export class TpmFailure extends Error {
  override readonly name = 'TpmFailure';

  /** @param rc the TPM response code the tool reported (e.g. 0x18b: no such index), when there is one. */
  constructor(
    message: string,
    readonly rc: number | undefined,
  ) {
    super(message);
  }
}

/** TPM response codes worth a word of advice, by their low bits (the handle/session number masked off). */
const ADVICE: ReadonlyArray<{ readonly matches: (rc: number) => boolean; readonly advice: string }> = [
  { matches: (rc) => (rc & 0xfff) === 0x18b, advice: 'the NV index is not defined (xprov store set defines it)' },
  {
    matches: (rc) => (rc & 0x8ff) === 0x88e || (rc & 0x8ff) === 0x8a2,
    advice: 'wrong auth value (check the auth= file: its bytes are the auth, a trailing newline included)',
  },
  {
    matches: (rc) => rc === 0x921,
    advice: 'the TPM is in dictionary-attack lockout after wrong auth values: wait for its recovery time or tpm2_dictionarylockout --clear-lockout',
  },
  { matches: (rc) => rc === 0x14c, advice: 'the NV index was defined but never written' },
];

/** The reason in what a tool printed on stderr: its last `ERROR: Name(0xRC) - reason` line, sanitised and bounded. */
export function tpmReason(stderr: string): { readonly reason: string; readonly rc: number | undefined } {
  const lines = stderr.split('\n').map((l) => l.replace(/[^\x20-\x7e]/g, '?').trim());
  const coded = lines.map((l) => /^ERROR: (\w+)\((0x[0-9a-fA-F]+)\) - (.*)$/.exec(l)).find((m) => m !== null);
  if (coded?.[2] !== undefined) {
    const rc = Number(coded[2]);
    const advice = ADVICE.find((a) => a.matches(rc))?.advice;
    return { reason: `${coded[1]} answered ${coded[2]}: ${(coded[3] ?? '').slice(0, 200)}${advice === undefined ? '' : ` (${advice})`}`, rc };
  }
  // The TCTI's own lines say why the TPM cannot be reached (`ERROR:tcti:file:line:Function() why`).
  const tcti = lines.find((l) => l.startsWith('ERROR:tcti:'));
  if (tcti !== undefined) {
    const why = tcti.replace(/^ERROR:tcti:\S*\s*/, '').replace(/^\w+\(\)\s*/, '');
    const errno = lines.map((l) => /^WARNING:tcti:.*errno \d+: (.*)$/.exec(l)?.[1]).find((e) => e !== undefined);
    return { reason: `cannot reach the TPM (${why}${errno === undefined ? '' : `: ${errno}`})`.slice(0, 200), rc: undefined };
  }
  const last = lines.filter((l) => l.startsWith('ERROR')).pop();
  return { reason: (last ?? 'failed without saying why').slice(0, 200), rc: undefined };
}

/** Runs one tool: `input` on its stdin; resolves with its stdout, rejects with TpmFailure. */
export function runTpmTool(tool: string, args: readonly string[], tcti: string, input?: Buffer, limits: ToolLimits = TOOL_LIMITS): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      tool,
      args,
      {
        encoding: 'buffer',
        timeout: limits.timeoutMs,
        // A tool stuck in a TPM call may not heed SIGTERM.
        killSignal: 'SIGKILL',
        maxBuffer: limits.maxOutputBytes,
        // Nothing of xprov's environment: PATH to find the tool, the TCTI to find the TPM.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TPM2TOOLS_TCTI: tcti },
      },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve(stdout);
          return;
        }
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(new TpmFailure(`${tool} is not installed (Debian: apt-get install tpm2-tools)`, undefined));
        } else if (err.killed === true && code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          reject(new TpmFailure(`${tool} got no answer from the TPM within ${limits.timeoutMs / 1000} s (TCTI ${tcti})`, undefined));
        } else if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          reject(new TpmFailure(`${tool} printed more than ${limits.maxOutputBytes} bytes`, undefined));
        } else {
          const { reason, rc } = tpmReason(stderr.toString('utf8'));
          reject(new TpmFailure(`${tool}: ${reason}`, rc));
        }
      },
    );
    child.stdin?.on('error', () => {}); // a tool that exits early closes its stdin: its exit says why
    child.stdin?.end(input ?? Buffer.alloc(0));
  });
}

/** `-P file:AUTH` (the auth file, read by the tool), or nothing for the empty auth. */
function authArgs(flag: string, access: TpmAccess): string[] {
  return access.authFile === undefined ? [] : [flag, `file:${access.authFile}`];
}

/** The index's whole content. */
export function nvRead(access: TpmAccess): Promise<Buffer> {
  return runTpmTool('tpm2_nvread', [formatNvIndex(access.index), ...authArgs('-P', access)], access.tcti);
}

/** The index's size in bytes, or undefined when it is not defined. */
export async function nvSize(access: TpmAccess): Promise<number | undefined> {
  let text: string;
  try {
    text = (await runTpmTool('tpm2_nvreadpublic', [formatNvIndex(access.index)], access.tcti)).toString('utf8');
  } catch (err) {
    if (err instanceof TpmFailure && err.rc !== undefined && (err.rc & 0xfff) === 0x18b) {
      return undefined;
    }
    throw err;
  }
  const size = /^\s*size: (\d+)\s*$/m.exec(text)?.[1];
  if (size === undefined) {
    throw new TpmFailure('tpm2_nvreadpublic did not say the index size', undefined);
  }
  return Number(size);
}

/**
 * The largest NV index this TPM can define (TPM2_PT_NV_INDEX_MAX), when it says; a
 * TPM that does not is left to refuse a too large index itself when it is defined.
 */
export async function nvIndexMax(tcti: string): Promise<number | undefined> {
  let text: string;
  try {
    text = (await runTpmTool('tpm2_getcap', ['properties-fixed'], tcti)).toString('utf8');
  } catch (err) {
    if (err instanceof TpmFailure) {
      return undefined;
    }
    throw err;
  }
  const raw = /TPM2_PT_NV_INDEX_MAX:\s*\n\s*raw: (0x[0-9a-fA-F]+)/.exec(text)?.[1];
  return raw === undefined ? undefined : Number(raw);
}

/** Defines the index, `size` bytes, readable and writable with its auth value (the auth file's, or empty). */
export async function nvDefine(access: TpmAccess, size: number): Promise<void> {
  await runTpmTool(
    'tpm2_nvdefine',
    [formatNvIndex(access.index), '-C', 'o', '-s', String(size), '-a', 'authread|authwrite', ...authArgs('-p', access)],
    access.tcti,
  );
}

/** Writes `data` at the start of the index, through stdin. */
export async function nvWrite(access: TpmAccess, data: Buffer): Promise<void> {
  await runTpmTool('tpm2_nvwrite', [formatNvIndex(access.index), ...authArgs('-P', access), '-i', '-'], access.tcti, data);
}
