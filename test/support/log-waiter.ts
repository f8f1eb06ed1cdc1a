/**
 * Waiting for a log line of a running xprov, in-process (cli-run.ts) or a child process
 * (xprov-process.ts): both call notify() on new output and when xprov ends.
 */

/** One JSON log line. */
export type LogLine = Record<string, unknown>;

/** Resolves waits for log lines as output arrives; rejects them at a timeout or when xprov ended first. */
export class LogWaiter {
  readonly #waiters = new Set<() => void>();

  /**
   * @param lines the log lines so far
   * @param ended how xprov ended (`xprov exited (1)`), or undefined while it runs
   * @param stderr what it printed on stderr so far, for the rejection's message
   */
  constructor(
    private readonly lines: () => LogLine[],
    private readonly ended: () => string | undefined,
    private readonly stderr: () => string,
  ) {}

  /** Re-checks every wait: call on new output and when xprov ends. */
  notify(): void {
    for (const w of this.#waiters) w();
  }

  /** The first log line `match` accepts, once it is there. */
  wait(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${this.stderr()}`));
      }, timeoutMs);
      const check = (): void => {
        const found = this.lines().find(match);
        const ended = found === undefined ? this.ended() : undefined;
        if (found !== undefined || ended !== undefined) {
          clearTimeout(timer);
          this.#waiters.delete(check);
        }
        if (found !== undefined) resolve(found);
        else if (ended !== undefined) reject(new Error(`${ended} before the log line; stderr: ${this.stderr()}`));
      };
      this.#waiters.add(check);
      check();
    });
  }
}
