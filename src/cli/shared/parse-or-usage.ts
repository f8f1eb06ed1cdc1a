import { UsageError } from '../../errors.js';

/** Runs a node:util parseArgs call, turning its errors into a one-line UsageError. */
export function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
}
