import type { Contender } from "../contenders/contender.ts";
import type { Pinger } from "../contenders/raw.ts";
import type { BenchOptions, LatencyRow, RowKey } from "../types.ts";
import { repeatRuns } from "./repeat.ts";

/**
 * Enqueue → finished for one task at a time on an idle, warm pool (or one raw ping-pong), in µs:
 * every round trip of every counted run. Each trip starts only after the previous one finished.
 */
export async function measureLatency(
  key: RowKey,
  once: () => Promise<void>,
  options: BenchOptions,
): Promise<LatencyRow> {
  const runs = await repeatRuns(options.warmup, options.repeat, async () => {
    const trips: number[] = new Array(options.roundTrips);
    for (let i = 0; i < options.roundTrips; i++) {
      const t0 = performance.now();
      await once();
      // Rounded to 0.1 µs: finer is below the timer's honesty and only bloats the JSON file.
      trips[i] = Math.round((performance.now() - t0) * 10_000) / 10;
    }
    return trips;
  });
  return { ...key, runs };
}

/** Latency of a pool contender: a no-op through its public API. */
export function contenderLatency(c: Contender, options: BenchOptions): Promise<LatencyRow> {
  return measureLatency({ backend: c.backend, workers: c.workers }, () => c.runOne("noop", null), options);
}

/** Latency of a raw floor. */
export function rawLatency(p: Pinger, options: BenchOptions): Promise<LatencyRow> {
  return measureLatency({ backend: p.name, workers: 1 }, () => p.ping(), options);
}
