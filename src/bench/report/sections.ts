import { cpuSpeedups, floorP50Of, heapDelta, latencySummary, rssDelta } from "../derive.ts";
import { median, summarize } from "../stats.ts";
import type { BenchResults } from "../types.ts";
import { fmtInt, fmtMb, fmtMbDelta, fmtNum, fmtRatio, fmtSpread, fmtWorkers } from "./format.ts";
import type { Table } from "./table.ts";

/*
 * One table per section, straight from the samples. Spread is always `median [min-max]` over the
 * counted runs, so a reader sees how much one run can differ from another on this machine.
 */

const runsNote = (results: BenchResults) =>
  `median [min-max] of ${results.options.repeat} counted runs after ${results.options.warmup} warm-up run(s)`;

/** The cost of the call that hands a task over. */
export function enqueueTable(results: BenchResults): Table {
  return {
    title: "== enqueue cost: time for enqueue() / pool.run() to return (us) ==",
    headers: ["backend", "workers", "median (Benchmark.js)", "p99 per call"],
    rows: results.enqueue.map((row) => [
      row.backend,
      fmtWorkers(row.workers),
      fmtSpread(summarize(row.benchmarkUs), fmtNum),
      fmtSpread(summarize(row.perCall.map((q) => q.p99Us)), fmtNum),
    ]),
    notes: ["median [min-max] of Benchmark.js cycle means; p99 of calls timed one by one; immediate includes the task"],
  };
}

/** No-op tasks per second in a flood. */
export function throughputTable(results: BenchResults): Table {
  return {
    title: `== throughput: no-op tasks/s, flood of ${fmtInt(results.options.tasks)} (enqueue all, then wait for all) ==`,
    headers: ["backend", "workers", "tasks/s"],
    rows: results.throughput.map((row) => [
      row.backend,
      fmtWorkers(row.workers),
      fmtSpread(summarize(row.perSecond), fmtInt),
    ]),
    notes: [
      runsNote(results),
      "raw-process / raw-thread: as many frames echoed by a bare child / thread, sent in the pools' largest batches (the channel's ceiling)",
    ],
  };
}

/** Enqueue → finished, one task at a time on an idle warm pool. */
export function latencyTable(results: BenchResults): Table {
  return {
    title: `== latency: enqueue -> finished, one task at a time on an idle warm pool (us, ${results.options.roundTrips} round trips per run) ==`,
    headers: ["backend", "workers", "p50", "p99", "floor p50, measured alongside: ratio"],
    rows: results.latency.map((row) => {
      const s = latencySummary(row);
      const floor = row.floor;
      const floorP50 = floorP50Of(results, row.backend, row.workers);
      // Below 1x the "floor" was slower than what it bounds: it was measured wrong, say so.
      const vs = s.p50.median / floorP50;
      const vsRaw =
        floor === undefined
          ? "-"
          : `${fmtNum(floorP50)} ${floor.backend}: ${fmtRatio(vs)}${vs < 1 ? " (not a floor!)" : ""}`;
      return [row.backend, fmtWorkers(row.workers), fmtSpread(s.p50, fmtNum), fmtSpread(s.p99, fmtNum), vsRaw];
    }),
    notes: [
      runsNote(results),
      "floor: after each round trip, one of a bare echo over the same channel (raw-process: JSON lines on the process pool's pipe; raw-thread: postMessage); tinypool-process uses Node's IPC channel, which has none here",
    ],
  };
}

/** Wall time and speedup of a CPU batch. */
export function cpuTable(results: BenchResults): Table | null {
  const cpu = results.cpu;
  if (cpu === null) return null;
  const inline = summarize(cpu.inlineMs);
  return {
    title: `== CPU-bound scaling: ${cpu.tasks} tasks of fib(${cpu.fibN}) ~ ${fmtNum(cpu.taskMs)} ms each ==`,
    headers: ["backend", "workers", "wall ms", "speedup vs inline", "ideal"],
    rows: [
      ["inline", "-", fmtSpread(inline, fmtNum), "1.00x", "1.00x"],
      ...cpu.rows.map((row) => [
        row.backend,
        fmtWorkers(row.workers),
        fmtSpread(summarize(row.wallMs), fmtNum),
        fmtSpread(summarize(cpuSpeedups(row)), fmtRatio),
        fmtRatio(row.workers ?? 1),
      ]),
    ],
    notes: [
      runsNote(results),
      "inline: the same batch on the main thread, one task after another; each counted pool run is paired with an inline run just before it",
      "speedup = paired inline time / pool wall time (median [min-max] over the pairs)",
    ],
  };
}

/** Throughput with a small argument, with a large JSON one, and with a large JSON return value. */
export function payloadTable(results: BenchResults): Table {
  const kb = Math.round(results.options.payloadBytes / 1000);
  return {
    title: `== payload cost: tasks/s with a small argument, a ${kb} KB JSON argument, a ${kb} KB JSON return value (${results.options.payloadTasks} tasks per run) ==`,
    headers: ["backend", "workers", "small arg", `${kb} KB arg`, `${kb} KB / small`, `${kb} KB return`],
    rows: results.payload.map((row) => [
      row.backend,
      fmtWorkers(row.workers),
      fmtSpread(summarize(row.smallPerSecond), fmtInt),
      fmtSpread(summarize(row.largePerSecond), fmtInt),
      fmtRatio(median(row.largePerSecond) / median(row.smallPerSecond)),
      fmtSpread(summarize(row.returnPerSecond), fmtInt),
    ]),
    notes: [runsNote(results)],
  };
}

/** Parent memory after a long flood and the children's RSS. */
export function memoryTable(results: BenchResults): Table {
  return {
    title: `== memory: parent after a flood through maxResults ${results.options.maxResults}; child RSS ==`,
    headers: ["backend", "workers", "tasks", "heap delta", "RSS delta", "flood s", "child RSS idle", "child RSS after"],
    rows: results.memory.map((row) => [
      row.backend,
      fmtWorkers(row.workers),
      row.runs.length === 0 ? "-" : fmtInt(row.tasks),
      fmtMbDelta(heapDelta(row)),
      fmtMbDelta(rssDelta(row)),
      row.runs.length === 0 ? "-" : fmtNum(median(row.runs.map((r) => r.seconds))),
      row.childRssIdle.length === 0 ? "-" : fmtMb(median(row.childRssIdle)),
      row.childRssAfter.length === 0 ? "-" : fmtMb(median(row.childRssAfter)),
    ]),
    notes: [
      `deltas: after minus before, each after a full GC, ${results.options.memoryWindow} tasks in flight at a time; one flood per backend`,
      "child RSS: VmRSS from /proc, median over the workers; threads share the parent's RSS ('-')",
    ],
  };
}
