import type { Contender } from "../contenders/contender.ts";
import { benchFile } from "../paths.ts";
import type { BenchOptions, CpuRow } from "../types.ts";
import { repeatRuns } from "./repeat.ts";

type Fib = (n: number) => number;

let fibModule: Promise<{ fib: Fib }> | null = null;

/** bench/fib.mjs: the very function the workers run, so inline and pooled runs compare like for like. */
async function loadFib(): Promise<Fib> {
  fibModule ??= import(benchFile("fib.mjs").href) as Promise<{ fib: Fib }>;
  return (await fibModule).fib;
}

/** Written, never read (hence the underscore): keeps the results alive so the JIT cannot drop the calls we time. */
let _sink = 0;

/**
 * Finds the `n` for which one `fib(n)` takes closest to `targetMs` on this machine, measured inline
 * after a warm-up. Each step up multiplies the time by about φ ≈ 1.6. The fastest of five runs is
 * taken: load from other processes only ever adds time, so the minimum is the machine's own speed.
 */
export async function calibrateFib(targetMs: number): Promise<{ n: number; ms: number }> {
  const fib = await loadFib();
  for (let i = 0; i < 20; i++) _sink += fib(20);
  const timeOne = (n: number) => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      _sink += fib(n);
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  let previous = { n: 15, ms: timeOne(15) };
  for (let n = 16; n <= 45; n++) {
    const current = { n, ms: timeOne(n) };
    if (current.ms >= targetMs) {
      return Math.abs(current.ms - targetMs) <= Math.abs(previous.ms - targetMs) ? current : previous;
    }
    previous = current;
  }
  return previous;
}

/** Runs the batch inline on this thread, one task after another, and returns its wall time (ms). */
function inlineBatch(fib: Fib, tasks: number, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < tasks; i++) _sink += fib(n);
  return performance.now() - t0;
}

/** The batch run inline, `repeat` times after warm-up: the reference line of the CPU table. */
export async function measureInline(options: BenchOptions, n: number): Promise<number[]> {
  const fib = await loadFib();
  return repeatRuns(options.warmup, options.repeat, async () => inlineBatch(fib, options.cpuTasks, n));
}

/**
 * Wall time of the same batch through a contender, all tasks enqueued at once. Each counted run is
 * paired with an inline run just before it, and the speedup is taken within the pair: on a machine
 * whose load drifts, a reference measured minutes earlier would skew the ratio.
 */
export async function measureCpu(c: Contender, options: BenchOptions, n: number): Promise<CpuRow> {
  const fib = await loadFib();
  const pairs = await repeatRuns(options.warmup, options.repeat, async (run) => {
    const inline = run < 0 ? Number.NaN : inlineBatch(fib, options.cpuTasks, n);
    const t0 = performance.now();
    await c.flood("cpu", options.cpuTasks, n);
    return { inline, wall: performance.now() - t0 };
  });
  return {
    backend: c.backend,
    workers: c.workers,
    wallMs: pairs.map((p) => p.wall),
    inlineMs: pairs.map((p) => p.inline),
  };
}
