/**
 * A clock and timers that move only when a test says so (the Timers of
 * src/store/debounce.ts), so that debounces and certificate expiry are tested
 * without sleeping.
 */
import type { Timers } from '../../src/store/debounce.js';

interface Pending {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/** Manual timers: `advance` moves the clock and runs what falls due, in order. */
export class ManualTimers implements Timers {
  #now: number;
  #nextId = 1;
  #pending: Pending[] = [];
  /** How many times setTimeout was called. */
  scheduled = 0;
  /** The clock times at which timers ran. */
  readonly fired: number[] = [];

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.scheduled++;
    const id = this.#nextId++;
    this.#pending.push({ id, due: this.#now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending = this.#pending.filter((p) => p.id !== handle);
  }

  /** Timers not yet run. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Moves the clock by `ms`, running every timer that falls due (at its due time). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = [...this.#pending].sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (next === undefined || next.due > end) break;
      this.#pending = this.#pending.filter((p) => p !== next);
      this.#now = Math.max(this.#now, next.due);
      this.fired.push(this.#now);
      next.fn();
    }
    this.#now = end;
  }
}
