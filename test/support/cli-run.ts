/**
 * Runs of the CLI in this process: `main(argv, io)` with an I/O in memory (output
 * captured, and handed to the secrets scan like a process's; stdin from a string; a
 * stop that does what SIGTERM does), and the resources such runs need (free ports,
 * store files the file store accepts). The shipped bin runs as a process through
 * xprov-process.ts, for the smoke, signal, socket and systemd tests.
 */
import { chmodSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { main } from '../../src/cli.js';
import type { CliIo } from '../../src/cli/shared/io.js';
import { createLogger } from '../../src/log.js';
import { example } from './paths.js';
import { LogWaiter } from './log-waiter.js';
import { recordOutput } from './secrets.js';
import { tempDir } from './tmp.js';

/** How a command ended and what it printed. */
export interface CommandRun {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of an in-process run. */
export interface CliOptions {
  /** Added to (or replacing) this process's environment, which the run gets a copy of. */
  readonly env?: NodeJS.ProcessEnv;
  /** What stdin holds; without it, stdin is empty (as /dev/null). */
  readonly input?: string;
}

/** A command running in this process (the in-process counterpart of XprovProcess). */
export interface CliCommand {
  /** stdout so far. */
  stdout(): string;
  /** stderr so far. */
  stderr(): string;
  /** stdout's JSON log lines so far. */
  logLines(): Record<string, unknown>[];
  /** Resolves with the first log line `match` accepts (rejects if the command ends first). */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** True until the command has ended. */
  running(): boolean;
  /** Resolves with the exit code once the command has ended (70 for an internal error, as main.ts). */
  readonly exited: Promise<number>;
  /** Tells it to stop as `signal` would and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

const running = new Set<CliCommand>();

/** Starts `xprov ARGS...` in this process. */
export function startCommand(args: readonly string[], options: CliOptions = {}): CliCommand {
  let out = '';
  let err = '';
  let ended = false;
  // Before main() runs: a command writes synchronously; `command` is read only when waited on.
  const logs = new LogWaiter(
    () => command.logLines(),
    () => (ended ? 'xprov ended' : undefined),
    () => err,
  );
  const label = `xprov ${args.join(' ')} (in-process`;
  const stdout = {
    write(text: string): boolean {
      out += text;
      recordOutput(`${label} stdout)`, text);
      logs.notify();
      return true;
    },
  };
  const stderr = {
    write(text: string): boolean {
      err += text;
      recordOutput(`${label} stderr)`, text);
      return true;
    },
  };
  const stopper = new AbortController();
  const input = options.input === undefined ? [] : [Buffer.from(options.input)];
  const io: CliIo = {
    stdout,
    stderr,
    stdin: {
      async *[Symbol.asyncIterator]() {
        yield* input;
      },
    },
    env: { ...process.env, ...options.env },
    cwd: process.cwd(),
    logger: (level, to) => createLogger(level, { write: (line: string) => void (to === 'stdout' ? stdout : stderr).write(line) }),
    onStop(stop) {
      const onAbort = (): void => stop(String(stopper.signal.reason));
      stopper.signal.addEventListener('abort', onAbort, { once: true });
      return () => stopper.signal.removeEventListener('abort', onAbort);
    },
  };
  const exited = main(args, io).then(
    (code) => code,
    (error: unknown) => {
      stderr.write(`xprov: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      return 70;
    },
  );
  const command: CliCommand = {
    stdout: () => out,
    stderr: () => err,
    logLines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    running: () => !ended,
    exited,
    waitForLog: (match, timeoutMs) => logs.wait(match, timeoutMs),
    stop(signal = 'SIGTERM') {
      if (!stopper.signal.aborted) {
        stopper.abort(signal);
      }
      return exited;
    },
  };
  running.add(command);
  void exited.then(() => {
    ended = true;
    running.delete(command);
    logs.notify();
  });
  return command;
}

/** Runs `xprov ARGS...` in this process to its end. */
export async function runCommand(args: readonly string[], options: CliOptions = {}): Promise<CommandRun> {
  const command = startCommand(args, options);
  const code = await command.exited;
  return { code, stdout: command.stdout(), stderr: command.stderr() };
}

/** Starts `xprov serve ARGS...` in this process and waits until it is serving. */
export async function serveCommand(args: readonly string[], options: CliOptions = {}): Promise<CliCommand> {
  const command = startCommand(['serve', ...args], options);
  await command.waitForLog((l) => l.msg === 'xprov serving');
  return command;
}

// No test leaves a server running in this process, even when it fails half-way.
afterEach(async () => {
  await Promise.all([...running].map((command) => command.stop()));
});

/** A free loopback port: bind 0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A copy of example store `name` that the file store accepts (mode 0600: not readable by others). */
export function privateStore(name: string): string {
  const file = path.join(tempDir(), name);
  copyFileSync(example(name), file);
  chmodSync(file, 0o600);
  return file;
}
