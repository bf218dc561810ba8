import {
  databaseSpeedup,
  databaseThroughput,
  enqueueMedianOf,
  findRow,
  floorP50Of,
  heapDelta,
  latencyP50Of,
  payloadOf,
  postgresStartMs,
  postgresThroughput,
  speedupOf,
  throughputOf,
} from "./derive.ts";
import { median, ratio } from "./stats.ts";
import type { BenchResults, PostgresSection, TargetResult } from "./types.ts";

/** The goals are stated at 2 workers. */
export const TARGET_WORKERS = 2;
const MB = 1024 * 1024;

/**
 * tasklane's performance goals, each checked against this run: met, not met, or not measured (a
 * contender or worker count left out by the options, or a floor that turned out slower than the
 * pool it bounds). Ratios are within this one run, so a busy machine slows both sides of each
 * comparison.
 */
export function evaluateTargets(results: BenchResults): TargetResult[] {
  const w = TARGET_WORKERS;
  const out: TargetResult[] = [];
  const atLeast = (name: string, measured: number, min: number, detail: string) =>
    out.push(target(name, measured, `>= ${min}x`, measured >= min, detail));

  const pp = throughputOf(results, "process-pool", w);
  atLeast(
    `process-pool no-op throughput >= 5x tinypool child_process (${w} workers)`,
    ratio(pp, throughputOf(results, "tinypool-process", w)),
    5,
    `flood of ${results.options.tasks} tasks`,
  );
  atLeast(
    `process-pool no-op throughput >= 2x piscina (${w} workers)`,
    ratio(pp, throughputOf(results, "piscina", w)),
    2,
    `flood of ${results.options.tasks} tasks`,
  );
  atLeast(
    `thread-pool no-op throughput >= 1.5x piscina (${w} workers)`,
    ratio(throughputOf(results, "thread-pool", w), throughputOf(results, "piscina", w)),
    1.5,
    `flood of ${results.options.tasks} tasks`,
  );
  out.push(...payloadTargets(results));
  for (const backend of ["process-pool", "thread-pool"] as const) {
    const us = enqueueMedianOf(results, backend, w);
    out.push(
      target(`${backend} enqueue() median < 20 us (${w} workers)`, us, "< 20 us", us < 20, `Benchmark.js median`),
    );
  }
  const tripRatio = ratio(latencyP50Of(results, "process-pool", w), floorP50Of(results, "process-pool", w));
  const floorHolds = !(tripRatio < 1);
  out.push(
    target(
      `process-pool single-task round trip < 2x a bare child process echo (${w} workers)`,
      floorHolds ? tripRatio : Number.NaN,
      "< 2x",
      tripRatio < 2,
      `p50 enqueue -> finished over p50 of the echo over the same pipe, trip for trip`,
      floorHolds ? undefined : `the echo was slower than the pool (${tripRatio.toFixed(2)}x): not a floor, rerun`,
    ),
  );
  const cpuTasks = results.cpu?.tasks ?? 0;
  const scaled =
    cpuTasks === 200 ? "" : ` (scaled: ${cpuTasks} tasks instead of 200${results.options.quick ? ", --quick" : ""})`;
  for (const backend of ["process-pool", "thread-pool"] as const) {
    atLeast(
      `${backend}: 200 CPU tasks of ~8 ms, ${w} workers >= 1.9x faster than inline`,
      speedupOf(results, backend, w),
      1.9,
      `fib(${results.cpu?.fibN ?? "?"}) ~ ${(results.cpu?.taskMs ?? Number.NaN).toFixed(1)} ms each${scaled}`,
    );
  }
  for (const backend of ["process-pool", "thread-pool"] as const) {
    const row = findRow(results.memory, backend, results.memory.find((r) => r.backend === backend)?.workers ?? null);
    const deltaMb = row ? heapDelta(row) / MB : Number.NaN;
    const tasks = row?.tasks ?? results.options.memoryTasks;
    const note =
      tasks === 1_000_000
        ? ""
        : ` (scaled: ${tasks} tasks instead of a million${results.options.quick ? ", --quick" : ""})`;
    out.push(
      target(
        `${backend}: a million no-op tasks with maxResults ${results.options.maxResults} leave the heap within 20 MB`,
        deltaMb,
        "<= 20 MB",
        Math.abs(deltaMb) <= 20,
        `heap after GC minus before, ${row?.workers ?? "?"} workers${note}`,
      ),
    );
  }
  out.push(...databaseTargets(results));
  out.push(...postgresTargets(results));
  return out;
}

/** The ~100 KB goals: arguments against both peers' best runtime for it, return values against piscina. */
function payloadTargets(results: BenchResults): TargetResult[] {
  const w = TARGET_WORKERS;
  const kb = Math.round(results.options.payloadBytes / 1000);
  const detail = `${results.options.payloadTasks} tasks per flood`;
  const arg = (b: "process-pool" | "thread-pool" | "piscina" | "tinypool-process") =>
    payloadOf(results, b, w, "largePerSecond");
  const ret = (b: "process-pool" | "thread-pool" | "piscina") => payloadOf(results, b, w, "returnPerSecond");
  const goal = (name: string, measured: number, min: number) =>
    target(`${name} (${w} workers)`, measured, `>= ${min}x`, measured >= min, detail);
  return [
    goal(
      `process-pool ${kb} KB argument >= 1.5x tinypool child_process`,
      ratio(arg("process-pool"), arg("tinypool-process")),
      1.5,
    ),
    goal(`process-pool ${kb} KB argument >= piscina`, ratio(arg("process-pool"), arg("piscina")), 1),
    goal(`thread-pool ${kb} KB argument >= piscina`, ratio(arg("thread-pool"), arg("piscina")), 1),
    goal(`process-pool ${kb} KB return value >= piscina`, ratio(ret("process-pool"), ret("piscina")), 1),
    goal(`thread-pool ${kb} KB return value >= piscina`, ratio(ret("thread-pool"), ret("piscina")), 1),
  ];
}

/** The database backend's goals: a no-op flood end to end, and CPU scaling of one worker process. */
function databaseTargets(results: BenchResults): TargetResult[] {
  const db = results.database;
  const why = db === null ? "not measured (database not in --backends)" : (db.skipped ?? "not measured");
  const perSecond = databaseThroughput(db);
  const floor = db === null ? Number.NaN : median(db.floorPerSecond);
  const speedup = databaseSpeedup(db, TARGET_WORKERS);
  const quick = results.options.quick ? ", --quick" : "";
  return [
    target(
      `database (SQLite): no-op tasks end to end >= 5000/s through one tasklane worker --concurrency ${TARGET_WORKERS}`,
      perSecond,
      ">= 5000 tasks/s",
      perSecond >= 5000,
      `flood of ${db?.tasks ?? "?"} tasks, enqueue all then wait for all; floor (store claim+settle loop) ${Math.round(floor)} tasks/s${quick}`,
      why,
    ),
    target(
      `database (SQLite): CPU tasks, tasklane worker --concurrency ${TARGET_WORKERS} >= 1.8x faster than --concurrency 1`,
      speedup,
      ">= 1.8x",
      speedup >= 1.8,
      `${db?.cpu?.tasks ?? "?"} tasks of fib(${db?.cpu?.fibN ?? "?"}), wall time at 1 over at ${TARGET_WORKERS}${quick}`,
      why,
    ),
  ];
}

const fmt = (pg: PostgresSection | null): string =>
  pg === null || pg.skipped !== null ? "?" : postgresStartMs(pg, "finishedMs").p50.median.toFixed(2);

/** PostgreSQL's goals (issue 14): the flood through 2 worker processes, and enqueue → start on an idle one. */
function postgresTargets(results: BenchResults): TargetResult[] {
  const pg = results.postgres;
  if (pg === undefined) return [];
  const why = pg === null ? "not measured (database not in --backends)" : (pg.skipped ?? "not measured");
  const perSecond = postgresThroughput(pg, 2);
  const p50 = pg === null || pg.skipped !== null ? Number.NaN : postgresStartMs(pg).p50.median;
  const quick = results.options.quick ? ", --quick" : "";
  return [
    target(
      "database (PostgreSQL): no-op tasks end to end >= 5000/s through 2 tasklane workers --concurrency 2",
      perSecond,
      ">= 5000 tasks/s",
      perSecond >= 5000,
      `flood of ${pg?.tasks ?? "?"} tasks, 16 enqueues in flight; test settings (fsync off)${quick}`,
      why,
    ),
    target(
      "database (PostgreSQL): enqueue -> start (claimed) p50 <= 5 ms on an idle worker",
      p50,
      "<= 5 ms",
      p50 <= 5,
      `started_at - enqueued_at on the server's clock, one task at a time; enqueue -> finished p50 ${fmt(pg)} ms${quick}`,
      why,
    ),
  ];
}

function target(
  name: string,
  measured: number,
  threshold: string,
  met: boolean,
  detail: string,
  unknownBecause = `not measured (needs the contenders and ${TARGET_WORKERS} in --workers)`,
): TargetResult {
  const known = Number.isFinite(measured);
  return {
    name,
    measured: known ? Math.round(measured * 1000) / 1000 : null,
    threshold,
    met: known ? met : null,
    detail: known ? detail : unknownBecause,
  };
}
