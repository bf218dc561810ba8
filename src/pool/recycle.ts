import { MAX_TIMER_MS } from "../timers.ts";
import type { RecycleOptions } from "./types.ts";
import type { SlotLane, WorkerSlot } from "./worker-slot.ts";

/** `RecycleOptions` checked, with "never" spelled as Infinity or null. */
export interface RecyclePolicy {
  readonly maxTasksPerWorker: number;
  readonly maxWorkerMemoryMb: number;
  readonly idleTimeoutMs: number | null;
  readonly minWorkers: number;
}

/**
 * Checks the engine's recycling options. The backend validates what users write; this only
 * guards the engine against nonsense.
 * @throws RangeError naming the option.
 */
export function recyclePolicy(options: RecycleOptions = {}): RecyclePolicy {
  const { maxTasksPerWorker, maxWorkerMemoryMb, idleTimeoutMs, minWorkers } = options;
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean, expected: string): void => {
    if (value !== undefined && !ok(value)) {
      throw new RangeError(`recycle.${name} must be ${expected} (got ${String(value)})`);
    }
  };
  check("maxTasksPerWorker", maxTasksPerWorker, (v) => Number.isSafeInteger(v) && v >= 1, "an integer >= 1");
  check("maxWorkerMemoryMb", maxWorkerMemoryMb, (v) => Number.isFinite(v) && v > 0, "a number > 0");
  check("idleTimeoutMs", idleTimeoutMs, (v) => Number.isFinite(v) && v > 0, "a number > 0");
  check("minWorkers", minWorkers, (v) => Number.isSafeInteger(v) && v >= 0, "an integer >= 0");
  return {
    maxTasksPerWorker: maxTasksPerWorker ?? Number.POSITIVE_INFINITY,
    maxWorkerMemoryMb: maxWorkerMemoryMb ?? Number.POSITIVE_INFINITY,
    idleTimeoutMs: idleTimeoutMs ?? null,
    minWorkers: minWorkers ?? 0,
  };
}

/**
 * Retires the workers of one lane that stayed idle for `timeoutMs`, oldest idle first, as long as
 * more than `minWorkers` remain. One unref'd timer per lane, armed for the earliest candidate.
 */
export class IdleReaper {
  readonly #lane: SlotLane;
  readonly #timeoutMs: number;
  readonly #minWorkers: number;
  readonly #retire: (slot: WorkerSlot) => void;
  #timer: NodeJS.Timeout | null = null;

  constructor(lane: SlotLane, timeoutMs: number, minWorkers: number, retire: (slot: WorkerSlot) => void) {
    this.#lane = lane;
    this.#timeoutMs = timeoutMs;
    this.#minWorkers = minWorkers;
    this.#retire = retire;
  }

  /** The worker holds nothing from now on. */
  idle(slot: WorkerSlot, now: number): void {
    slot.markIdle(now);
    if (this.#timer === null) this.#arm(this.#timeoutMs);
  }

  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(this.#reap, Math.min(MAX_TIMER_MS, Math.max(0, delay))).unref();
  }

  readonly #reap = (): void => {
    this.#timer = null;
    const now = Date.now();
    // Workers that will still take jobs: the accepting ones and those starting up.
    let staying = 0;
    const idle: WorkerSlot[] = [];
    for (const slot of this.#lane.workers) {
      if (slot.accepting || !slot.ready) staying++;
      if (slot.accepting && slot.inflight.size === 0) idle.push(slot);
    }
    idle.sort((a, b) => a.idleSince - b.idleSince);
    for (const slot of idle) {
      if (staying <= this.#minWorkers) return;
      const due = slot.idleSince + this.#timeoutMs;
      if (due > now) {
        // The oldest idle worker left is not due yet; the others are younger still.
        this.#arm(due - now);
        return;
      }
      this.#retire(slot);
      staying--;
    }
  };
}
