import type { DashboardStats, MinuteStats } from "./source.ts";

/** The longest window the chart may ask for: a day of minutes. */
export const MAX_WINDOW_MINUTES = 24 * 60;
/** What the chart shows unless asked otherwise. */
export const DEFAULT_WINDOW_MINUTES = 30;

const MINUTE = 60_000;

/** What the figures need of a result. */
export interface TimedRow {
  readonly status: string;
  readonly enqueuedAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

/**
 * Buckets the results that finished in the last `windowMinutes` whole minutes (the current one
 * included) by the minute they finished in. Both sources share this, so the chart means the same
 * thing over either.
 */
export function computeStats(
  rows: Iterable<TimedRow>,
  now: number,
  windowMinutes: number,
  basis: string,
): DashboardStats {
  const first = Math.floor(now / MINUTE) * MINUTE - (windowMinutes - 1) * MINUTE;
  const buckets = Array.from({ length: windowMinutes }, (_, i) => ({
    start: first + i * MINUTE,
    succeeded: 0,
    failed: 0,
    wait: [] as number[],
    run: [] as number[],
  }));
  const allWait: number[] = [];
  const allRun: number[] = [];
  for (const row of rows) {
    if (row.finishedAt === null || row.finishedAt < first) continue;
    const bucket = buckets[Math.min(windowMinutes - 1, Math.floor((row.finishedAt - first) / MINUTE))];
    if (bucket === undefined) continue;
    if (row.status === "SUCCESSFUL") bucket.succeeded++;
    else bucket.failed++;
    // A result cancelled before it started has no wait or run time.
    if (row.startedAt === null) continue;
    const wait = row.startedAt - row.enqueuedAt;
    const run = row.finishedAt - row.startedAt;
    bucket.wait.push(wait);
    bucket.run.push(run);
    allWait.push(wait);
    allRun.push(run);
  }
  const minutes: MinuteStats[] = buckets.map((b) => ({
    start: b.start,
    succeeded: b.succeeded,
    failed: b.failed,
    waitMs: quantile(b.wait, 0.5),
    runMs: quantile(b.run, 0.5),
  }));
  return {
    minutes,
    waitMs: { p50: quantile(allWait, 0.5), p95: quantile(allWait, 0.95) },
    runMs: { p50: quantile(allRun, 0.5), p95: quantile(allRun, 0.95) },
    basis,
  };
}

/** The nearest-rank quantile (sorts `values` in place), or null for none. */
function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)] ?? null;
}
