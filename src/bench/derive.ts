import { median, quantile, type Summary, summarize } from "./stats.ts";
import type { BenchResults, CpuRow, DatabaseSection, LatencyRow, MemoryRow, PostgresSection, RowKey } from "./types.ts";

/*
 * Numbers derived from raw samples, shared by the tables, the ratios, the targets and the chart, so
 * that they all say the same thing.
 */

/** The row of `rows` for this contender and worker count (`null` workers matches any for inline rows). */
export function findRow<R extends RowKey>(
  rows: readonly R[],
  backend: RowKey["backend"],
  workers: number | null,
): R | undefined {
  return rows.find((r) => r.backend === backend && (r.workers === null || workers === null || r.workers === workers));
}

/** Median no-op throughput (tasks/s) of a contender, NaN when it was not measured. */
export function throughputOf(results: BenchResults, backend: RowKey["backend"], workers: number | null): number {
  const row = findRow(results.throughput, backend, workers);
  return row ? median(row.perSecond) : Number.NaN;
}

/** Median tasks/s of a contender's payload runs (`which`: large argument, or large return value), NaN when not measured. */
export function payloadOf(
  results: BenchResults,
  backend: RowKey["backend"],
  workers: number | null,
  which: "largePerSecond" | "returnPerSecond",
): number {
  const row = findRow(results.payload, backend, workers);
  return row ? median(row[which]) : Number.NaN;
}

/** p50 and p99 of each run's round trips (µs), summarised over the runs. */
export function latencySummary(row: LatencyRow): { p50: Summary; p99: Summary } {
  return {
    p50: summarize(row.runs.map((trips) => quantile(trips, 0.5))),
    p99: summarize(row.runs.map((trips) => quantile(trips, 0.99))),
  };
}

/** Median single-task round trip (µs), NaN when not measured. */
export function latencyP50Of(results: BenchResults, backend: RowKey["backend"], workers: number | null): number {
  const row = findRow(results.latency, backend, workers);
  return row ? latencySummary(row).p50.median : Number.NaN;
}

/**
 * Median round trip (µs) of the floor measured alongside a contender, trip for trip; NaN when it had
 * none. This, not the floor's own row measured at another moment, is what the contender is held to.
 */
export function floorP50Of(results: BenchResults, backend: RowKey["backend"], workers: number | null): number {
  const floor = findRow(results.latency, backend, workers)?.floor;
  return floor ? summarize(floor.runs.map((trips) => quantile(trips, 0.5))).median : Number.NaN;
}

/** Median Benchmark.js cost of one `enqueue()`/`run()` call (µs), NaN when not measured. */
export function enqueueMedianOf(results: BenchResults, backend: RowKey["backend"], workers: number | null): number {
  const row = findRow(results.enqueue, backend, workers);
  return row ? median(row.benchmarkUs) : Number.NaN;
}

/** Speedup over inline of each counted run: the inline run paired with it over its wall time. */
export function cpuSpeedups(row: CpuRow): number[] {
  return row.wallMs.map((ms, i) => (row.inlineMs[i] ?? Number.NaN) / ms);
}

/** Median CPU speedup over inline of a contender, NaN when not measured. */
export function speedupOf(results: BenchResults, backend: RowKey["backend"], workers: number | null): number {
  const cpu = results.cpu;
  const row = cpu ? findRow(cpu.rows, backend, workers) : undefined;
  return row ? median(cpuSpeedups(row)) : Number.NaN;
}

/** Largest parent heap growth over the memory runs (bytes), NaN when there were none. */
export function heapDelta(row: MemoryRow): number {
  if (row.runs.length === 0) return Number.NaN;
  return Math.max(...row.runs.map((r) => r.heapAfter - r.heapBefore));
}

/** Largest parent RSS growth over the memory runs (bytes). */
export function rssDelta(row: MemoryRow): number {
  if (row.runs.length === 0) return Number.NaN;
  return Math.max(...row.runs.map((r) => r.rssAfter - r.rssBefore));
}

/** Median end-to-end no-op throughput of the database section (tasks/s), NaN when it did not run. */
export function databaseThroughput(db: DatabaseSection | null): number {
  return db === null ? Number.NaN : median(db.perSecond);
}

/** p50 and p99 of each database round-trip run (µs), summarised over the runs. */
export function databaseLatency(db: DatabaseSection): { p50: Summary; p99: Summary } {
  return {
    p50: summarize(db.latency.map((trips) => quantile(trips, 0.5))),
    p99: summarize(db.latency.map((trips) => quantile(trips, 0.99))),
  };
}

/** Median wall time of the database CPU batch at `workers` over that at 1 (the speedup), NaN when not run. */
export function databaseSpeedup(db: DatabaseSection | null, workers: number): number {
  const wall = (w: number) => median(db?.cpu?.rows.find((r) => r.workers === w)?.wallMs ?? []);
  return wall(1) / wall(workers);
}

/** Median no-op flood throughput on PostgreSQL through `workers` worker processes (tasks/s), NaN when not run. */
export function postgresThroughput(pg: PostgresSection | null | undefined, workers: number): number {
  return median(pg?.throughput.find((r) => r.workers === workers)?.perSecond ?? []);
}

/** p50 and p99 of each enqueue → start run on PostgreSQL (ms), summarised over the runs. */
export function postgresStartMs(
  pg: PostgresSection,
  which: "startMs" | "finishedMs" = "startMs",
): { p50: Summary; p99: Summary } {
  return {
    p50: summarize(pg[which].map((trips) => quantile(trips, 0.5))),
    p99: summarize(pg[which].map((trips) => quantile(trips, 0.99))),
  };
}
