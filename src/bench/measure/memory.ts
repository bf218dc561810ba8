import type { Contender } from "../contenders/contender.ts";
import { sleep } from "../contenders/contender.ts";
import { fullGc, processRss } from "../process-info.ts";
import type { BenchOptions, MemoryRow, MemoryRun } from "../types.ts";
import { repeatRuns } from "./repeat.ts";

/** Heap used and RSS of this process after a full collection (twice: the first one frees what finalizers release). */
export async function settledMemory(): Promise<{ heap: number; rss: number }> {
  const gc = fullGc();
  // Let pending I/O callbacks and timers of the pool run first, so what they free is collectable.
  await sleep(20);
  gc();
  await sleep(0);
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
}

/** VmRSS of each worker process of `c` (empty for threads and inline). */
export function childRss(pids: readonly number[]): number[] {
  return pids.map(processRss).filter((rss): rss is number => rss !== null);
}

/**
 * A long flood of no-op tasks through a pool whose `maxResults` is bounded: the parent's heap and RSS
 * after it, relative to before, each after a full GC. The flood keeps `memoryWindow` tasks in flight
 * at a time (a steady stream, as a server produces), so what is measured is what stays behind, not
 * the peak of a million queued jobs. `idleRss` is the children's RSS measured when warm and idle.
 */
export async function measureMemory(c: Contender, options: BenchOptions, idleRss: number[]): Promise<MemoryRow> {
  const total = options.memoryTasks;
  const window = Math.max(1, Math.min(options.memoryWindow, total));
  // One flood per contender: the flood is itself the long measurement (a million tasks through the
  // slowest peer take minutes), and the earlier sections already warmed everything up.
  const runs = await repeatRuns<MemoryRun>(0, 1, async () => {
    const before = await settledMemory();
    const t0 = performance.now();
    for (let sent = 0; sent < total; sent += window) {
      await c.flood("noop", Math.min(window, total - sent), null);
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = await settledMemory();
    return { heapBefore: before.heap, heapAfter: after.heap, rssBefore: before.rss, rssAfter: after.rss, seconds };
  });
  return {
    backend: c.backend,
    workers: c.workers,
    tasks: total,
    runs,
    childRssIdle: idleRss,
    childRssAfter: childRss(c.workerPids()),
  };
}
