/**
 * The part of autocannon 9 (a devDependency without published types) that
 * bench/bench.ts uses, as its own README documents it (npm package autocannon).
 */
declare module 'autocannon' {
  namespace autocannon {
    /** Options of autocannon(opts); only those the bench sets. */
    interface Options {
      /** Target URL; with socketPath it still gives the Host header and the path. */
      url: string;
      /** A Unix domain socket to connect to instead of the URL's host and port. */
      socketPath?: string;
      /** Concurrent connections (default 10). */
      connections?: number;
      /** Seconds to run (default 10). */
      duration?: number;
      /** Requests in flight per connection (default 1). */
      pipelining?: number;
      /** Seconds to wait for a response before counting a timeout (default 10). */
      timeout?: number;
    }

    /** A statistic of the results (hdr-histogram-percentiles-obj). */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      p50: number;
      p90: number;
      p99: number;
      /** Sum of all samples; present on `requests` and `throughput`. */
      total?: number;
    }

    /** The results of a run. */
    interface Result {
      /** Latencies in milliseconds, rounded to whole ms by autocannon's histogram. */
      latency: Histogram;
      /** Requests per sample interval (1 s); `total` is completed requests. */
      requests: Histogram;
      /** Bytes per sample interval. */
      throughput: Histogram;
      /** Seconds the run took. */
      duration: number;
      /** Connection errors, timeouts included. */
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
    }

    /** The running instance: an event emitter that is also a promise of the results. */
    interface Instance extends PromiseLike<Result> {
      /** Each response, with its latency in (fractional) milliseconds. */
      on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): Instance;
    }
  }

  /** Starts a run; without a callback the returned instance resolves with the results. */
  function autocannon(opts: autocannon.Options): autocannon.Instance;

  export = autocannon;
}
