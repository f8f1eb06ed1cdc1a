/**
 * A logger whose lines are kept in memory, for in-process tests. Every captured line
 * is also handed to the secrets scan (test/support/secrets.ts).
 */
import { Writable } from 'node:stream';
import { type Logger, createLogger } from '../../src/log.js';
import { recordOutput } from './secrets.js';

/** A logger and the JSON lines it wrote. */
export interface CapturedLog {
  readonly log: Logger;
  /** Every line written so far, parsed. */
  lines(): Record<string, unknown>[];
}

/** Creates a debug-level logger writing into memory. */
export function captureLog(): CapturedLog {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      raw.push(text);
      recordOutput('in-process log', text);
      done();
    },
  });
  return {
    log: createLogger('debug', sink),
    lines: () =>
      raw
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
