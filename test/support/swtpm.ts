/**
 * A software TPM for the TPM store's tests: swtpm (Debian `swtpm`) in socket mode on
 * free loopback ports, its state in a temporary directory, stopped after the test file.
 * tpm2-tools' swtpm TCTI uses the server port P and the control port P+1.
 *
 * The dictionary-attack protection is relaxed at start (swtpm locks out for 1000 s
 * after 3 wrong auth values), so that the wrong-auth tests cannot lock the others out.
 *
 * `recordArgv` puts wrappers of the tpm2 tools first on PATH, which log every argv
 * they are run with and the environment's names, then run the real tool: the tests
 * check that no secret is ever on a tpm2 command line.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { eventually } from './eventually.js';
import { tempDir } from './tmp.js';

const started = new Set<Swtpm>();

/** True when `port` can be bound on 127.0.0.1 now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port P with P+1 free too, below Linux's ephemeral range (32768 and up), so that
 * the kernel does not hand either to another test's connection meanwhile.
 */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 6000) * 2;
    if ((await portFree(port)) && (await portFree(port + 1))) {
      return port;
    }
  }
  throw new Error('no free port pair for swtpm');
}

/** A running (or stopped) swtpm. */
export class Swtpm {
  #child: ChildProcess | undefined;

  private constructor(
    readonly stateDir: string,
    readonly port: number,
  ) {}

  /** The TCTI that reaches it, for --tpm-tcti. */
  get tcti(): string {
    return `swtpm:host=127.0.0.1,port=${this.port}`;
  }

  /** Starts a fresh TPM, dictionary-attack protection relaxed. */
  static async start(): Promise<Swtpm> {
    const tpm = new Swtpm(tempDir(), await freePortPair());
    started.add(tpm);
    await tpm.resume();
    await tpm.tool('tpm2_dictionarylockout', ['--setup-parameters', '--max-tries=1000', '--recovery-time=1', '--lockout-recovery-time=1']);
    return tpm;
  }

  /** Starts it again on the same state and ports (NV contents survive). */
  async resume(): Promise<void> {
    const child = spawn(
      'swtpm',
      [
        'socket',
        '--tpm2',
        '--tpmstate',
        `dir=${this.stateDir}`,
        '--server',
        `type=tcp,port=${this.port},bindaddr=127.0.0.1`,
        '--ctrl',
        `type=tcp,port=${this.port + 1},bindaddr=127.0.0.1`,
        '--flags',
        'not-need-init,startup-clear',
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    await eventually(() => this.tool('tpm2_getrandom', ['--hex', '4']));
  }

  /** Stops it (the TPM "goes away"); resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Runs a tpm2 tool against this TPM; `input` on stdin. Rejects with its stderr on failure. */
  tool(tool: string, args: readonly string[], input?: Buffer | string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = execFile(tool, args, { encoding: 'buffer', env: { ...process.env, TPM2TOOLS_TCTI: this.tcti }, timeout: 10_000 }, (err, stdout, stderr) => {
        if (err !== null) {
          reject(new Error(`${tool} ${args.join(' ')}: ${stderr.toString('utf8')}`));
        } else {
          resolve(stdout);
        }
      });
      child.stdin?.on('error', () => {}); // a tool that fails early closes its stdin: its exit says why
      child.stdin?.end(input ?? '');
    });
  }
}

/** The tpm2 tools xprov runs, wrapped by recordArgv. */
const WRAPPED = ['tpm2_nvread', 'tpm2_nvwrite', 'tpm2_nvdefine', 'tpm2_nvreadpublic', 'tpm2_getcap'];

/**
 * Puts argv-recording wrappers of the tpm2 tools first on PATH (until `restore`), and
 * returns what they recorded: one line per run, the argv then the environment's names.
 */
export function recordArgv(): { readonly runs: () => string[]; readonly restore: () => void } {
  const dir = tempDir();
  const log = path.join(dir, 'argv.log');
  writeFileSync(log, '');
  for (const tool of WRAPPED) {
    const real = `/usr/bin/${tool}`;
    const script = `#!/bin/sh\nprintf '%s' "$0 $*" >> ${log}\nprintf ' ENV:%s\\n' "$(env | cut -d= -f1 | sort | tr '\\n' ,)" >> ${log}\nexec ${real} "$@"\n`;
    writeFileSync(path.join(dir, tool), script);
    chmodSync(path.join(dir, tool), 0o755);
  }
  const before = process.env.PATH;
  process.env.PATH = `${dir}:${before ?? ''}`;
  return {
    runs: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    restore: () => {
      process.env.PATH = before;
    },
  };
}

after(async () => {
  for (const tpm of [...started]) {
    await tpm.stop();
  }
  started.clear();
});
