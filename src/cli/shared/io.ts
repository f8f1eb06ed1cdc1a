/**
 * What a command talks to besides its arguments: its output, input, environment and
 * directory, where its logs go and what tells a server to stop. The process passes
 * its own (processIo); tests pass memory, so that a command runs in their process.
 */
import { type LogLevel, type Logger, createLogger, createStderrLogger } from '../../log.js';

/** Somewhere text is written to: a stream, or a test's buffer. */
export interface TextSink {
  write(text: string): unknown;
}

/** Standard input as a command reads it (`--key-file -`). */
export interface TextSource extends AsyncIterable<Buffer | string> {
  /** True when it is a terminal (a prompt is printed then). */
  readonly isTTY?: boolean;
}

/** The I/O of one run of the CLI. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly stdin: TextSource;
  /** The environment: $CREDENTIALS_DIRECTORY, systemd's LISTEN_* (taken out once used). */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** A logger at `level` writing JSON lines to stdout, or to stderr for commands whose stdout is their result. */
  logger(level: LogLevel, to: 'stdout' | 'stderr'): Logger;
  /**
   * Calls `stop` with its reason (the signal's name) when a server must stop: SIGTERM
   * or SIGINT for the process. Returns the function that stops listening.
   */
  onStop(stop: (reason: string) => void): () => void;
  /**
   * Calls `reload` when a server must read its store again: SIGHUP for the process.
   * Returns the function that stops listening. Absent where nothing asks for reloads.
   */
  onReload?(reload: () => void): () => void;
}

/** The process's own I/O, for src/main.ts. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // Opened only when read: process.stdin creates a handle on fd 0 when first touched.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    // The buffered fd destinations of log.ts, which main.ts flushes before exiting.
    logger: (level, to) => (to === 'stdout' ? createLogger(level) : createStderrLogger(level)),
    onStop(stop) {
      // Installed only by the commands that serve: elsewhere a signal keeps its default (exit).
      const onSignal = (signal: NodeJS.Signals): void => stop(signal);
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      return () => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      };
    },
    onReload(reload) {
      // Once serving, SIGHUP re-reads the store instead of ending the process.
      const onSignal = (): void => reload();
      process.on('SIGHUP', onSignal);
      return () => process.off('SIGHUP', onSignal);
    },
  };
}
