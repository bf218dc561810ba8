import type { Contender } from "../contenders/contender.ts";
import type { Pinger } from "../contenders/raw.ts";
import type { BenchOptions, LatencyRow } from "../types.ts";
import { repeatRuns } from "./repeat.ts";

/** One round trip in µs, rounded to 0.1 µs: finer is below the timer's honesty and only bloats the JSON file. */
async function trip(once: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await once();
  return Math.round((performance.now() - t0) * 10_000) / 10;
}

/**
 * Enqueue → finished for one task at a time on an idle, warm pool (or one raw ping-pong), in µs:
 * every round trip of every counted run. Each trip starts only after the previous one finished.
 * With a `floor`, each trip is followed by one round trip of that bare echo, so that the floor is
 * measured at the same moments as what it bounds (a floor measured a minute apart, on a loaded
 * machine, is not one).
 */
export async function measureLatency(
  key: Pick<LatencyRow, "backend" | "workers">,
  once: () => Promise<void>,
  options: BenchOptions,
  floor: Pinger | null = null,
): Promise<LatencyRow> {
  const floorRuns: number[][] = [];
  const runs = await repeatRuns(options.warmup, options.repeat, async (run) => {
    const trips: number[] = new Array(options.roundTrips);
    const floorTrips: number[] = new Array(options.roundTrips);
    for (let i = 0; i < options.roundTrips; i++) {
      trips[i] = await trip(once);
      if (floor !== null) floorTrips[i] = await trip(() => floor.ping());
    }
    if (floor !== null && run >= 0) floorRuns.push(floorTrips);
    return trips;
  });
  return floor === null ? { ...key, runs } : { ...key, runs, floor: { backend: floor.name, runs: floorRuns } };
}

/** Latency of a pool contender: a no-op through its public API, with its floor alongside when it has one. */
export function contenderLatency(c: Contender, options: BenchOptions, floor: Pinger | null): Promise<LatencyRow> {
  return measureLatency({ backend: c.backend, workers: c.workers }, () => c.runOne("noop", null), options, floor);
}

/** Latency of a raw floor on its own. */
export function rawLatency(p: Pinger, options: BenchOptions): Promise<LatencyRow> {
  return measureLatency({ backend: p.name, workers: 1 }, () => p.ping(), options);
}
