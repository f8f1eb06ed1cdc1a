/**
 * The servers under test as processes: a fresh endpoint per process, spawning
 * (xprov or the bare baseline), a GET, waiting for the first answer, a clean stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { bareServer, type Kind, launcher, type Name, repoRoot, requestPath, settings, store } from './settings.js';

/** Where one server process listens, in xprov's --listen form and as connect options. */
export interface Endpoint {
  readonly kind: Kind;
  readonly listen: string;
  readonly socketPath?: string;
  readonly port?: number;
  /** For autocannon: gives the path (and, over TCP, the address). */
  readonly url: string;
}

/** The answer xprov gives; the bare server is handed exactly these bytes. */
export interface Reference {
  readonly body: Buffer;
  readonly contentType: string;
  readonly bodyFile: string;
}

/** One HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** A running server under test. */
export interface ServerProcess {
  readonly name: Name;
  readonly endpoint: Endpoint;
  readonly pid: number;
  /** How the process ended, or undefined while it runs. */
  ended(): string | undefined;
  stderr(): string;
  /** SIGTERM, then requires a clean exit (code 0) within the deadline. */
  stop(): Promise<void>;
  /** SIGKILL without waiting: for failure paths only. */
  kill(): void;
}

/** Every child still running. */
const live = new Set<ChildProcess>();

/** SIGKILLs every server still running: no exit path (error, Ctrl-C) may leave one behind. */
export function killAll(): void {
  for (const child of live) {
    child.kill('SIGKILL');
  }
}

/** Rejects with `what` timing out when `promise` takes longer than `ms`; never holds the process open. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A loopback port free right now (the OS picks it; it is closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

let serial = 0;

/** A fresh endpoint per process: no stale socket file or lingering port between runs. */
export async function newEndpoint(kind: Kind, dir: string, name: Name): Promise<Endpoint> {
  serial += 1;
  if (kind === 'unix') {
    const socketPath = path.join(dir, `${name}-${serial}.sock`);
    return { kind, listen: `unix://${socketPath}`, socketPath, url: `http://localhost${requestPath}` };
  }
  const port = await freePort();
  return { kind, listen: `http://127.0.0.1:${port}`, port, url: `http://127.0.0.1:${port}${requestPath}` };
}

/** GETs the provisioning information on a new connection (no agent: as a fresh client would). */
export function get(endpoint: Endpoint, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = endpoint.socketPath !== undefined ? { socketPath: endpoint.socketPath } : { host: '127.0.0.1', port: endpoint.port };
    const req = request({ ...target, path: requestPath, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Spawns one server; its stdout (xprov's request log) goes to /dev/null, as in the issue.
 * `xprovArgs` are more flags for xprov (the hostile loads run it with its defaults).
 */
export function startServer(name: Name, endpoint: Endpoint, reference: Reference | undefined, xprovArgs: readonly string[] = []): ServerProcess {
  let args: string[];
  if (name === 'xprov') {
    // --insecure-permissions: git checks the example store out 0644, which xprov refuses.
    args = [launcher, 'serve', '--store', store, '--insecure-permissions', ...xprovArgs, '--listen', endpoint.listen];
  } else {
    if (reference === undefined) {
      throw new Error('the bare server needs the reference answer');
    }
    args = [bareServer, endpoint.listen, reference.bodyFile, reference.contentType];
  }
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  let end: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      end = signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`;
      live.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      end = `spawn error: ${err.message}`;
      live.delete(child);
      resolve();
    });
  });
  if (child.pid === undefined) {
    // Spawn failed synchronously enough that there is no process to measure.
    throw new Error(`cannot start ${name}`);
  }
  const pid = child.pid;
  return {
    name,
    endpoint,
    pid,
    ended: () => end,
    stderr: () => stderr,
    async stop() {
      if (end === undefined) {
        child.kill('SIGTERM');
      }
      try {
        await withTimeout(exited, settings.stopDeadlineMs, `stopping ${name}`);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      if (end !== 'exit code 0') {
        throw new Error(`${name} ended with ${String(end)} on SIGTERM; stderr: ${stderr}`);
      }
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

/** Runs `body` with `server`, stops it cleanly after, and kills it if `body` fails. */
export async function withServers<T>(servers: readonly ServerProcess[], body: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (err) {
    for (const server of servers) {
      server.kill();
    }
    throw err;
  }
  for (const server of servers) {
    await server.stop();
  }
  return result;
}

/**
 * Polls until the first 200 answer; resolves with the ms since `t0`. A connection that
 * fails means "not listening yet"; any other answer than 200 is a failure.
 */
export async function firstAnswer(server: ServerProcess, t0: number): Promise<{ ms: number; answer: Answer }> {
  const deadline = t0 + settings.startDeadlineMs;
  while (performance.now() < deadline) {
    const ended = server.ended();
    if (ended !== undefined) {
      throw new Error(`${server.name} ${ended} before answering; stderr: ${server.stderr()}`);
    }
    let answer: Answer | undefined;
    try {
      answer = await get(server.endpoint, 1_000);
    } catch {
      answer = undefined;
    }
    if (answer !== undefined) {
      const ms = performance.now() - t0;
      if (answer.status !== 200) {
        throw new Error(`${server.name} answered ${answer.status}: ${answer.body.toString('utf8')}`);
      }
      return { ms, answer };
    }
    await sleep(settings.pollIntervalMs);
  }
  throw new Error(`${server.name} did not answer within ${settings.startDeadlineMs} ms; stderr: ${server.stderr()}`);
}

/** Fails unless `answer` carries exactly the reference bytes: otherwise the comparison is void. */
export function requireSameBytes(server: ServerProcess, answer: Answer, reference: Reference): void {
  if (!answer.body.equals(reference.body) || answer.contentType !== reference.contentType) {
    throw new Error(
      `${server.name} over ${server.endpoint.kind} answered other bytes than the reference ` +
        `(${String(answer.contentType)}, ${answer.body.length} B vs ${reference.contentType}, ${reference.body.length} B)`,
    );
  }
}
