import type { Contender } from "../contenders/contender.ts";
import type { Pinger } from "../contenders/raw.ts";
import type { BenchOptions, PayloadRow, ThroughputRow } from "../types.ts";
import { repeatRuns, timeMs } from "./repeat.ts";

/** No-op tasks per second for a flood of `options.tasks`: all enqueued at once, then all awaited. */
export async function measureThroughput(c: Contender, options: BenchOptions): Promise<ThroughputRow> {
  const tasks = options.tasks;
  const perSecond = await repeatRuns(options.warmup, options.repeat, async () => {
    const ms = await timeMs(() => c.flood("noop", tasks, null));
    return tasks / (ms / 1000);
  });
  return { backend: c.backend, workers: c.workers, tasks, perSecond };
}

/** Messages per second echoed by a raw floor when all are sent at once: what the bare channel can carry. */
export async function measureRawThroughput(p: Pinger, options: BenchOptions): Promise<ThroughputRow> {
  const tasks = options.tasks;
  const perSecond = await repeatRuns(options.warmup, options.repeat, async () => {
    const ms = await timeMs(() => p.flood(tasks));
    return tasks / (ms / 1000);
  });
  return { backend: p.name, workers: 1, tasks, perSecond };
}

/**
 * Throughput with a small argument, with a large JSON one, and with a large JSON return value
 * (`options.payloadBytes` each way). The three alternate within each repeat, so a change in machine
 * load hits them alike and their ratios stay meaningful.
 */
export async function measurePayload(
  c: Contender,
  options: BenchOptions,
  small: unknown,
  large: unknown,
): Promise<PayloadRow> {
  const tasks = options.payloadTasks;
  const rate = async (kind: "payload" | "returns", arg: unknown) =>
    tasks / ((await timeMs(() => c.flood(kind, tasks, arg))) / 1000);
  const runs = await repeatRuns(options.warmup, options.repeat, async () => ({
    small: await rate("payload", small),
    large: await rate("payload", large),
    returned: await rate("returns", options.payloadBytes),
  }));
  return {
    backend: c.backend,
    workers: c.workers,
    tasks,
    bytes: options.payloadBytes,
    smallPerSecond: runs.map((r) => r.small),
    largePerSecond: runs.map((r) => r.large),
    returnPerSecond: runs.map((r) => r.returned),
  };
}
