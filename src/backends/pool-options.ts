import { availableParallelism } from "node:os";
import { InvalidTaskBackend } from "../errors.ts";
import type { RecycleOptions } from "../pool/types.ts";
import { isTimerMs, MAX_TIMER_MS } from "../timers.ts";
import { type OptionSpec, positiveInteger, readOptions } from "./options.ts";

/** The lane every queue without its own `options.queues` entry shares. */
export const SHARED_LANE = "*";

export type LaneOptions = Record<string, { maxWorkers: number }>;

export const laneOptions: OptionSpec<LaneOptions> = {
  check: (v): v is LaneOptions =>
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every(
      (lane) =>
        typeof lane === "object" &&
        lane !== null &&
        Object.keys(lane).every((k) => k === "maxWorkers") &&
        Number.isSafeInteger((lane as { maxWorkers?: unknown }).maxWorkers) &&
        (lane as { maxWorkers: number }).maxWorkers >= 1,
    ),
  expected: "an object mapping queue names to { maxWorkers: a whole number >= 1 }",
  default: {},
};

export const optionalPositive = (expected: string): OptionSpec<number | null> => ({
  check: (v): v is number | null => v === null || (typeof v === "number" && Number.isFinite(v) && v > 0),
  expected,
  default: null,
});

export const nonNegativeInteger = (fallback: number): OptionSpec<number> => ({
  check: (v): v is number => Number.isSafeInteger(v) && (v as number) >= 0,
  expected: "a whole number >= 0",
  default: fallback,
});

/** A duration that arms a timer: whole milliseconds, at most setTimeout's limit. */
export const timerMs = (fallback: number): OptionSpec<number> => ({
  check: (v): v is number => isTimerMs(v, 0),
  expected: `a whole number >= 0, at most ${MAX_TIMER_MS} (milliseconds)`,
  default: fallback,
});

export const optionalTimerMs: OptionSpec<number | null> = {
  check: (v): v is number | null => v === null || isTimerMs(v, 1),
  expected: `a whole number of milliseconds >= 1, at most ${MAX_TIMER_MS}, or null`,
  default: null,
};

const optionalPositiveInteger = (expected: string): OptionSpec<number | null> => ({
  check: (v): v is number | null => v === null || (Number.isSafeInteger(v) && (v as number) >= 1),
  expected,
  default: null,
});

/** Recycling settings as the engine takes them (only the ones the user set). */
/**
 * Reads and checks the options of `thread-pool` and `process-pool`. Every name and value is
 * checked, and an error names the option and the backend alias.
 */
export function readPoolOptions(alias: string, backendName: string, options: Readonly<Record<string, unknown>>) {
  const read = readOptions(alias, backendName, options, {
    maxWorkers: positiveInteger(availableParallelism()),
    maxResults: positiveInteger(1000),
    queues: laneOptions,
    maxPayloadBytes: positiveInteger(4 * 1024 * 1024),
    cancelGraceMs: timerMs(2000),
    importTimeoutMs: { ...optionalTimerMs, default: 30_000 },
    maxTasksPerWorker: optionalPositive("a whole number >= 1, or null"),
    maxWorkerMemoryMb: optionalPositive("a number of megabytes > 0, or null"),
    idleTimeoutMs: optionalTimerMs,
    minWorkers: nonNegativeInteger(0),
    maxQueued: optionalPositiveInteger("a whole number >= 1 (tasks), or null for no limit"),
    maxResultBytes: optionalPositiveInteger("a whole number >= 1 (bytes), or null for no limit"),
  });
  if (read.maxTasksPerWorker !== null && !Number.isSafeInteger(read.maxTasksPerWorker)) {
    throw new InvalidTaskBackend(
      `Option 'maxTasksPerWorker' of backend '${alias}' (${backendName}) must be a whole number >= 1, or null.`,
    );
  }
  return { ...read, ...lanesAndRecycle(read) };
}

/** The settings shared by everything that runs tasks in a `WorkerPool`. */
export interface WorkerSettings {
  readonly maxWorkers: number;
  readonly queues: LaneOptions;
  readonly maxTasksPerWorker: number | null;
  readonly maxWorkerMemoryMb: number | null;
  readonly idleTimeoutMs: number | null;
  readonly minWorkers: number;
}

/**
 * The engine's lanes (the shared one plus one per `options.queues` entry) and recycling settings,
 * from checked options; used by the pool backends and by the database backend's worker. A lane
 * admits its own queue, so nothing here is checked against the alias's `queues` list.
 */
export function lanesAndRecycle(read: WorkerSettings): {
  laneOf: ReadonlyMap<string, string>;
  lanes: LaneOptions;
  recycle: RecycleOptions | null;
} {
  const laneOf = new Map<string, string>();
  const lanes: LaneOptions = { [SHARED_LANE]: { maxWorkers: read.maxWorkers } };
  for (const [queue, lane] of Object.entries(read.queues)) {
    laneOf.set(queue, queue);
    lanes[queue] = { maxWorkers: lane.maxWorkers };
  }
  const recycle: RecycleOptions = {};
  if (read.maxTasksPerWorker !== null) recycle.maxTasksPerWorker = read.maxTasksPerWorker;
  if (read.maxWorkerMemoryMb !== null) recycle.maxWorkerMemoryMb = read.maxWorkerMemoryMb;
  if (read.idleTimeoutMs !== null) recycle.idleTimeoutMs = read.idleTimeoutMs;
  if (read.minWorkers > 0) recycle.minWorkers = read.minWorkers;
  return {
    laneOf: laneOf as ReadonlyMap<string, string>,
    lanes,
    recycle: Object.keys(recycle).length > 0 ? recycle : null,
  };
}
