/**
 * One-shot runs of the shipped CLI (commands that print and exit), through runXprov
 * so that the secrets scan sees everything they print; and the resources such runs
 * need (free ports, store files the file store accepts).
 */
import { chmodSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { example } from './paths.js';
import { tempDir } from './tmp.js';
import { runXprov } from './xprov-process.js';

/** How a command ended and what it printed. */
export interface CommandRun {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `xprov ARGS...` to its end. */
export async function runCommand(args: readonly string[]): Promise<CommandRun> {
  const proc = runXprov(args);
  const code = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

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
