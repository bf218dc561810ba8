import Benchmark from "benchmark";
import type { Contender } from "../contenders/contender.ts";
import { quantileSorted } from "../stats.ts";
import type { BenchOptions, CallQuantiles, EnqueueRow } from "../types.ts";
import { repeatRuns } from "./repeat.ts";

/** Calls timed back to back before the pool is drained, so the backlog (and memory) stays small. */
const BATCH = 100;

/**
 * The cost of the call that hands a task over: `enqueue()` for tasklane, `pool.run()` for a peer,
 * until it returns its promise (the promise itself is not awaited: for a pool it resolves at once,
 * for `immediate` the task has already run inside the call).
 *
 * Two views: Benchmark.js (cycle means, its own statistics) and individually timed calls (for the
 * tail: p99 includes the odd GC pause, which a cycle mean hides). `floodPerSecond` (from the
 * throughput section) paces Benchmark.js so the pool keeps up instead of building a backlog that
 * would take minutes to drain with the slower peers.
 */
export async function measureEnqueue(c: Contender, options: BenchOptions, floodPerSecond: number): Promise<EnqueueRow> {
  const perCall = await repeatRuns(options.warmup, options.repeat, () => timeCalls(c, options.enqueueCalls));
  const p50s = perCall.map((q) => q.p50Us).sort((a, b) => a - b);
  const measured = quantileSorted(p50s, 0.5);
  const typicalUs = Number.isFinite(measured) ? Math.max(0.05, measured) : 1;
  const callsPerCycle = (options.benchmarkMinTime * 1e6) / typicalUs;
  const delay =
    c.workers === null || !Number.isFinite(floodPerSecond)
      ? 0.001
      : Math.min(0.5, Math.max(0.001, callsPerCycle / Math.max(1, floodPerSecond)));
  const { sampleUs, rme } = await runBenchmark(() => c.submit("noop", null), options, delay);
  await c.drain();
  return {
    backend: c.backend,
    workers: c.workers,
    benchmarkUs: sampleUs,
    benchmarkRme: rme,
    benchmarkDelay: delay,
    perCall,
  };
}

/** Times `calls` submissions one by one, draining the pool after every batch. */
async function timeCalls(c: Contender, calls: number): Promise<CallQuantiles> {
  const times: number[] = new Array(calls);
  for (let done = 0; done < calls; ) {
    const end = Math.min(calls, done + BATCH);
    for (let i = done; i < end; i++) {
      const t0 = performance.now();
      void c.submit("noop", null);
      times[i] = (performance.now() - t0) * 1000;
    }
    done = end;
    await c.drain();
  }
  return callQuantiles(times);
}

/** The quantiles of call times in µs (sorts `times` in place), to the nanosecond. */
export function callQuantiles(times: number[]): CallQuantiles {
  times.sort((a, b) => a - b);
  const round = (us: number) => Math.round(us * 1000) / 1000;
  return {
    calls: times.length,
    p50Us: round(quantileSorted(times, 0.5)),
    p90Us: round(quantileSorted(times, 0.9)),
    p99Us: round(quantileSorted(times, 0.99)),
    maxUs: round(times[times.length - 1] ?? Number.NaN),
  };
}

/** One Benchmark.js run of `fn`, asynchronous so the pool runs between cycles; µs per call per cycle. */
function runBenchmark(
  fn: () => unknown,
  options: BenchOptions,
  delay: number,
): Promise<{ sampleUs: number[]; rme: number }> {
  return new Promise((resolve, reject) => {
    const bench = new Benchmark("enqueue", {
      fn,
      async: true,
      delay,
      minSamples: options.benchmarkMinSamples,
      minTime: options.benchmarkMinTime,
      maxTime: options.benchmarkMaxTime,
      onComplete() {
        if (bench.error) {
          reject(bench.error);
          return;
        }
        resolve({
          sampleUs: bench.stats.sample.map((s) => Math.round(s * 1e9) / 1000),
          rme: Math.round(bench.stats.rme * 100) / 100,
        });
      },
      onError() {
        reject(bench.error instanceof Error ? bench.error : new Error(`Benchmark.js failed: ${String(bench.error)}`));
      },
      onAbort() {
        reject(new Error("Benchmark.js aborted the enqueue benchmark"));
      },
    });
    bench.run();
  });
}
