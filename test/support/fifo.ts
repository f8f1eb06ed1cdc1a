/** FIFOs (named pipes) at paths xprov reads, and a bound on work that could block on one. */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';

/** Makes a FIFO at `file` (owner-only, so that only its kind can be wrong) and returns the path. */
export function makeFifo(file: string): string {
  execFileSync('mkfifo', ['-m', '0600', file]);
  return file;
}

/**
 * `work`'s value if it settles within `ms`. Otherwise a reader is stuck in open(2) or
 * read(2) on `fifo`: it is released (a writer opens and closes the FIFO, so that the
 * reader sees end of file and the test process is not wedged too) and the test fails.
 */
export async function settlesWithin<T>(work: Promise<T>, ms: number, fifo: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // No reader waiting (ENXIO): nothing to release.
      }
      reject(new Error(`still blocked on the FIFO ${fifo} after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}
