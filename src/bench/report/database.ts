import { databaseLatency, databaseSpeedup } from "../derive.ts";
import { summarize } from "../stats.ts";
import type { BenchResults } from "../types.ts";
import { fmtInt, fmtNum, fmtRatio, fmtSpread } from "./format.ts";
import type { Table } from "./table.ts";

/**
 * The database backend end to end: one row per measurement, since its rows do not fit the pools'
 * tables (a worker in another process, a floor of another kind). Null when it was not selected.
 */
export function databaseTable(results: BenchResults): Table | null {
  const db = results.database;
  if (db === null) return null;
  const title = "== database (SQLite): enqueue here, tasklane worker in another process ==";
  if (db.skipped !== null)
    return { title, headers: ["measurement", "value"], rows: [["all", db.skipped]], leftColumns: 1 };
  const w = db.workers;
  const latency = databaseLatency(db);
  const rows: string[][] = [
    [
      `no-op flood of ${fmtInt(db.tasks)}, end to end (tasks/s)`,
      `worker --concurrency ${w}`,
      fmtSpread(summarize(db.perSecond), fmtInt),
    ],
    [
      "floor: store claim+settle loop, no task run (tasks/s)",
      `claim ${w} at a time`,
      fmtSpread(summarize(db.floorPerSecond), fmtInt),
    ],
    ["enqueue -> finished, one at a time: p50 (us)", `worker --concurrency ${w}`, fmtSpread(latency.p50, fmtNum)],
    ["enqueue -> finished, one at a time: p99 (us)", `worker --concurrency ${w}`, fmtSpread(latency.p99, fmtNum)],
    ["await enqueue(): p50 per call (us)", "", fmtSpread(summarize(db.enqueue.map((q) => q.p50Us)), fmtNum)],
    ["await enqueue(): p99 per call (us)", "", fmtSpread(summarize(db.enqueue.map((q) => q.p99Us)), fmtNum)],
  ];
  for (const row of db.cpu?.rows ?? []) {
    rows.push([
      `${db.cpu?.tasks} CPU tasks of fib(${db.cpu?.fibN}) (wall ms)`,
      `worker --concurrency ${row.workers}`,
      fmtSpread(summarize(row.wallMs), fmtNum),
    ]);
  }
  rows.push(["CPU speedup, --concurrency 2 over 1", "", fmtRatio(databaseSpeedup(db, 2))]);
  return {
    title,
    headers: ["measurement", "how", "median [min-max]"],
    rows,
    leftColumns: 2,
    notes: [
      `median [min-max] of ${results.options.repeat} counted runs after ${results.options.warmup} warm-up run(s); a fresh SQLite file in a temp dir, synchronous=normal`,
      `the worker: node dist/cli/main.js worker --concurrency N --interval ${db.intervalMs / 1000} (its idle poll: SQLite cannot wake another process)`,
      "flood and CPU batch: from the first enqueue to the latest finished_at among the rows (read every 5 ms, in claim order); one at a time: enqueue() then wait()",
    ],
  };
}
