/** The targets on the ratios xprov/bare, and how one is checked. */
import type { Kind } from './settings.js';

/** The targets, as ratios xprov/bare. */
export const targets = { coldStartMax: 1.5, idleRssMax: 1.3, throughputMin: 0.5 } as const;

/** One target checked. */
export interface Check {
  readonly kind: Kind;
  readonly metric: string;
  readonly bare: number;
  readonly xprov: number;
  readonly ratio: number;
  readonly target: string;
  readonly pass: boolean;
}

/** Checks `xprov / bare` against `limit`. */
export function check(kind: Kind, metric: string, bare: number, xprov: number, op: '<=' | '>=', limit: number): Check {
  const ratio = xprov / bare;
  const pass = op === '<=' ? ratio <= limit : ratio >= limit;
  return { kind, metric, bare, xprov, ratio, target: `${op} ${limit.toFixed(2)}x`, pass };
}
