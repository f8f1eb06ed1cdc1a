/** The hostile loads of bench/hostile.ts: what each applies, and how much. */
import { bodyDrain, connectionFlood, expectContinue, pipelineFlood, queryFlood } from './hostile-clients.js';
import { type Load, type Target, nodeMaxHeaderBytes } from './hostile-net.js';

/** The two servers compared. */
export type Name = 'bare' | 'xprov';

/** How much is applied; sized so that the whole part takes about 90 s on 2 cores. */
export const hostileSettings = {
  /** Untimed good requests first: the JIT and the first connections' costs are not the load's. */
  warmupRequests: 20,
  idleSamples: 7,
  /**
   * Between good requests, with and without load alike: back-to-back requests run on
   * warm caches and would make every load look slower than it is.
   */
  sampleGapMs: 100,
  /** At least this many good requests under load, however slow they are... */
  minLoadedSamples: 3,
  /** ...but never beyond the load's hold time plus this. */
  overrunMs: 10_000,
  sampleTimeoutMs: 10_000,
  pipelining: { clients: 100, requestsPerClient: 2_000, holdMs: 6_000 },
  bodyDrain: { clients: 4, announcedBytes: 512 * 1024 * 1024, holdMs: 3_000 },
  /** Just under Node's header limit: a longer head would be refused by Node, not parsed by xprov. */
  queryCpu: { clients: 16, headBytes: nodeMaxHeaderBytes - 400, holdMs: 6_000, timeoutMs: 30_000 },
  connectionFlood: { connections: 500, batch: 50, holdMs: 4_000 },
  expectContinue: { waitMs: 1_000, holdMs: 500 },
} as const;

const s = hostileSettings;

/** One hostile load. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** What the load is, in numbers, for the report. */
  readonly load: string;
  readonly servers: readonly Name[];
  readonly holdMs: number;
  start(target: Target): Load;
}

/** Every scenario, in the order they run. */
export const scenarios: readonly Scenario[] = [
  {
    id: 'pipelining',
    title: '1 pipelining, answers never read',
    load: `${s.pipelining.clients} clients x ${s.pipelining.requestsPerClient} pipelined GETs, ${s.pipelining.holdMs / 1000} s`,
    servers: ['bare', 'xprov'],
    holdMs: s.pipelining.holdMs,
    start: (t) => pipelineFlood(t, s.pipelining.clients, s.pipelining.requestsPerClient),
  },
  {
    id: 'body-unknown-path',
    title: '2a body drain, unknown path',
    load: `${s.bodyDrain.clients} clients x POST /nope, Content-Length 512 MiB, keep-alive, ${s.bodyDrain.holdMs / 1000} s`,
    servers: ['bare', 'xprov'],
    holdMs: s.bodyDrain.holdMs,
    start: (t) => bodyDrain(t, '/nope', s.bodyDrain.clients, s.bodyDrain.announcedBytes),
  },
  {
    id: 'body-no-api-version',
    title: '2b body drain, no api-version',
    load: `${s.bodyDrain.clients} clients x POST /device/reprovision, Content-Length 512 MiB, ${s.bodyDrain.holdMs / 1000} s`,
    // The bare server answers every path alike: 2a already shows what it does.
    servers: ['xprov'],
    holdMs: s.bodyDrain.holdMs,
    start: (t) => bodyDrain(t, '/device/reprovision', s.bodyDrain.clients, s.bodyDrain.announcedBytes),
  },
  {
    id: 'query-cpu',
    title: '3 query CPU, &a&a...',
    load: `${s.queryCpu.clients} clients x ${(s.queryCpu.headBytes / 1000).toFixed(0)} KB queries in a loop, ${s.queryCpu.holdMs / 1000} s`,
    servers: ['bare', 'xprov'],
    holdMs: s.queryCpu.holdMs,
    start: (t) => queryFlood(t, s.queryCpu.clients, s.queryCpu.headBytes, s.queryCpu.timeoutMs),
  },
  {
    id: 'connection-flood',
    title: '4 connection flood, idle',
    load: `${s.connectionFlood.connections} connections held without a byte, ${s.connectionFlood.holdMs / 1000} s`,
    servers: ['bare', 'xprov'],
    holdMs: s.connectionFlood.holdMs,
    start: (t) => connectionFlood(t, s.connectionFlood.connections, s.connectionFlood.batch),
  },
  {
    id: 'expect-continue',
    title: '5 Expect: 100-continue',
    load: 'POST /device/reprovision?api-version=2019-04-10 with Expect: 100-continue, body never sent',
    servers: ['bare', 'xprov'],
    holdMs: s.expectContinue.holdMs,
    start: (t) => expectContinue(t, '/device/reprovision?api-version=2019-04-10', s.expectContinue.waitMs),
  },
];
