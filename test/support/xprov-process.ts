/**
 * Runs the shipped xprov (bin/xprov.cjs and its bundle) as a child process, records
 * its output for the secrets scan, and stops it: for the smoke tests of the commands
 * and the tests of signals, sockets and systemd. Other CLI tests run in-process
 * (cli-run.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { launcher } from './paths.js';
import { LogWaiter } from './log-waiter.js';
import { recordOutput } from './secrets.js';

/** A running xprov process. */
export interface XprovProcess {
  readonly child: ChildProcess;
  /** stdout so far. */
  stdout(): string;
  /** stderr so far. */
  stderr(): string;
  /** stdout's JSON log lines so far. */
  logLines(): Record<string, unknown>[];
  /** Resolves with the first log line `match` accepts (rejects if the process exits first). */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** Options of runXprov. */
export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The program to run instead of node (e.g. systemd-socket-activate); args then follow it. */
  readonly wrapper?: readonly string[];
  /** What to write to its stdin (then closed); without it, stdin is /dev/null. */
  readonly input?: string;
  /** A test-only node script to run instead of the shipped launcher (e.g. store-set-paused.js). */
  readonly script?: string;
  /** The command that runs xprov instead of this node and the launcher (e.g. an installed xprov in a chroot); args then follow it. */
  readonly program?: readonly string[];
}

/** Starts `xprov ARGS...`. */
export function runXprov(args: readonly string[], options: RunOptions = {}): XprovProcess {
  const argv = [...(options.wrapper ?? []), ...(options.program ?? [process.execPath, options.script ?? launcher]), ...args];
  const [command, ...rest] = argv as [string, ...string[]];
  const child = spawn(command, rest, { env: { ...process.env, ...options.env }, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  child.stdin?.end(options.input);
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    recordOutput(`xprov ${args.join(' ')} (stdout)`, chunk.toString('utf8'));
    logs.notify();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    recordOutput(`xprov ${args.join(' ')} (stderr)`, chunk.toString('utf8'));
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      logs.notify();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const logLines = (): Record<string, unknown>[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const logs = new LogWaiter(
    logLines,
    () => (child.exitCode !== null || child.signalCode !== null ? `xprov exited (${String(child.exitCode ?? child.signalCode)})` : undefined),
    () => err,
  );
  const proc: XprovProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    logLines,
    exited,
    waitForLog: (match, timeoutMs) => logs.wait(match, timeoutMs),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
      return exited;
    },
  };
  return proc;
}

/** The exit code of `proc` if it exits within `ms`; otherwise it is killed and the test fails (it hung). */
export async function exitsWithin(proc: XprovProcess, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      proc.child.kill('SIGKILL');
      reject(new Error(`xprov still running after ${ms} ms (hung); stderr: ${proc.stderr()}`));
    }, ms);
  });
  try {
    return await Promise.race([proc.exited, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `xprov serve ARGS...` and waits until it is serving. */
export async function serveXprov(args: readonly string[], options: RunOptions = {}): Promise<XprovProcess> {
  const proc = runXprov(['serve', ...args], options);
  await proc.waitForLog((l) => l.msg === 'xprov serving');
  return proc;
}

// No test leaves an xprov behind, even when it fails half-way.
afterEach(() => {
  for (const child of running) {
    child.kill('SIGKILL');
  }
});
