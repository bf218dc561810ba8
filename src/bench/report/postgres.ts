import { postgresStartMs } from "../derive.ts";
import { summarize } from "../stats.ts";
import type { BenchResults } from "../types.ts";
import { fmtInt, fmtNum, fmtSpread } from "./format.ts";
import type { Table } from "./table.ts";

/** The database backend on PostgreSQL: one row per measurement. Null when it was not selected. */
export function postgresTable(results: BenchResults): Table | null {
  const pg = results.postgres;
  if (pg === undefined || pg === null) return null;
  const title = "== database (PostgreSQL): enqueue here, tasklane worker processes on a throwaway server ==";
  if (pg.skipped !== null)
    return { title, headers: ["measurement", "value"], rows: [["all", pg.skipped]], leftColumns: 1 };
  const c = pg.concurrency;
  const rows: string[][] = pg.throughput.map((row) => [
    `no-op flood of ${fmtInt(pg.tasks)}, end to end (tasks/s)`,
    `${row.workers} worker(s) --concurrency ${c}`,
    fmtSpread(summarize(row.perSecond), fmtInt),
  ]);
  const start = postgresStartMs(pg);
  const finished = postgresStartMs(pg, "finishedMs");
  rows.push(
    ["enqueue -> claimed, idle worker: p50 (ms)", `1 worker --concurrency ${c}`, fmtSpread(start.p50, fmtNum)],
    ["enqueue -> claimed, idle worker: p99 (ms)", `1 worker --concurrency ${c}`, fmtSpread(start.p99, fmtNum)],
    ["enqueue -> finished (wait), idle: p50 (ms)", `1 worker --concurrency ${c}`, fmtSpread(finished.p50, fmtNum)],
    ["enqueue -> finished (wait), idle: p99 (ms)", `1 worker --concurrency ${c}`, fmtSpread(finished.p99, fmtNum)],
    ["await enqueue(): p50 per call (us)", "", fmtSpread(summarize(pg.enqueue.map((q) => q.p50Us)), fmtNum)],
    ["await enqueue(): p99 per call (us)", "", fmtSpread(summarize(pg.enqueue.map((q) => q.p99Us)), fmtNum)],
  );
  return {
    title,
    headers: ["measurement", "how", "median [min-max]"],
    rows,
    leftColumns: 2,
    notes: [
      `median [min-max] of ${results.options.repeat} counted runs after ${results.options.warmup} warm-up run(s); ${pg.server}`,
      "the workers: node dist/cli/main.js worker --concurrency 2 --interval 1 (woken by NOTIFY; the poll is a backstop)",
      "flood: 16 enqueues in flight, until no row is READY or RUNNING; one task at a time: claimed = started_at - enqueued_at of the row (the server's clock); finished = enqueue() then wait() here",
    ],
  };
}
