import { BucketQueue } from "./bucket-queue.ts";
import type { PoolJob } from "./types.ts";

/**
 * How long a job handed ahead may be expected to wait inside a worker before it starts, in ms.
 * Handing ahead hides the round trip for short jobs; bounding it by time keeps the priority
 * inversion (a later, more urgent job waiting while a buffered one runs first) small. A worker whose
 * current job outlasts its expected time has its buffered jobs taken back (see recall.ts).
 */
export const PREFETCH_BUDGET_MS = 1.5;
/** Hard cap on jobs held by one worker, running one included, however short the jobs are. */
export const MAX_HELD_PER_WORKER = 64;
/** Weight of the newest run time in the lane's moving average. */
const EWMA_ALPHA = 0.2;

/** First delay before forking again after a worker failed to start, doubled per failure in a row. */
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** After this many start-up failures in a row the lane's waiting jobs fail instead of waiting forever. */
export const MAX_STARTUP_FAILURES = 5;

/**
 * One lane (queue name): its waiting jobs, its workers, and what it has learned about them. Lanes
 * share nothing, so a saturated lane never holds back another. Its counters change only through its
 * methods, each for one thing that happens to the lane's workers, so that "starting counts the
 * workers not yet READY" and "leaving counts those on their way out" hold here, not by convention.
 */
/** What a lane reads of its workers (a `WorkerSlot`; generic so that lane.ts needs no import of it). */
export interface LaneWorker {
  readonly ready: boolean;
  readonly leaving: boolean;
}

export class Lane<W extends LaneWorker = LaneWorker> {
  readonly name: string;
  readonly maxWorkers: number;
  /** Its waiting jobs; the engine adds to it through `push` and `unshift`. */
  readonly queue = new BucketQueue<PoolJob>();
  /** Its workers, added and removed by `workerStarted` and `workerExited`. */
  readonly workers: W[] = [];
  /** Keys of cancelled jobs still in `queue`: skipped when popped, so a cancel costs O(1). */
  readonly cancelled = new Set<number>();
  // `starting` and `leaving` stay plain public fields only because test/pool/structures.test.ts sets
  // them to stage `mayHandAhead`; the engine changes them through the methods below alone.
  /** Workers spawned that have not said READY yet. */
  starting = 0;
  /** Workers on their way out holding nothing (told to exit, or killed): not counted against maxWorkers. */
  leaving = 0;
  #ewma = Number.NaN;
  #failureStreak = 0;
  #startupFailures = 0;
  #nextSpawnAt = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #dirty = false;

  constructor(name: string, maxWorkers: number) {
    if (!(Number.isInteger(maxWorkers) && maxWorkers >= 1)) {
      throw new RangeError(`lane '${name}': maxWorkers must be an integer >= 1 (got ${String(maxWorkers)})`);
    }
    this.name = name;
    this.maxWorkers = maxWorkers;
  }

  /** Jobs waiting in the queue, cancelled ones excluded. */
  get waiting(): number {
    return this.queue.size - this.cancelled.size;
  }

  /** Workers that count against `maxWorkers`. */
  get active(): number {
    return this.workers.length - this.leaving;
  }

  /** Moving average of job run time in ms (worker clock); NaN until a job has finished. */
  get ewma(): number {
    return this.#ewma;
  }

  /** Workers in a row that died before running anything; drives the re-fork backoff. */
  get failureStreak(): number {
    return this.#failureStreak;
  }

  /** Earliest time the next worker may be forked (backoff). */
  get nextSpawnAt(): number {
    return this.#nextSpawnAt;
  }

  /** A fork waits for the backoff's timer. */
  get retrying(): boolean {
    return this.#retryTimer !== null;
  }

  /** Adds a job at the back of its priority. */
  push(job: PoolJob): void {
    this.queue.push(job);
  }

  /** Puts a job a worker gave back in front of its priority. */
  unshift(job: PoolJob): void {
    this.queue.unshift(job);
  }

  /** The next waiting job; call only while `waiting > 0`. */
  pop(): PoolJob {
    let job = this.queue.pop()!;
    if (this.cancelled.size !== 0) {
      while (this.cancelled.delete(job.key)) job = this.queue.pop()!;
    }
    return job;
  }

  /** Marks a job of the queue as cancelled (the caller finishes it). */
  drop(key: number): void {
    this.cancelled.add(key);
    // Nothing live left: let go of the dead entries now rather than when a job next arrives.
    if (this.waiting === 0) this.drain();
  }

  /** Removes and returns the waiting jobs, highest priority first. */
  drain(): PoolJob[] {
    const jobs = this.queue.drain();
    if (this.cancelled.size === 0) return jobs;
    const live = jobs.filter((job) => !this.cancelled.has(job.key));
    this.cancelled.clear();
    return live;
  }

  /** Marks the lane for the next dispatch pass: false when it is marked already. */
  markDirty(): boolean {
    if (this.#dirty) return false;
    this.#dirty = true;
    return true;
  }

  /** Its dispatch pass runs. */
  markClean(): void {
    this.#dirty = false;
  }

  /** A worker was forked for the lane: it counts as starting until it says READY. */
  workerStarted(slot: W): void {
    this.workers.push(slot);
    this.starting++;
  }

  /** A worker said READY: start-ups succeed again. */
  workerReady(): void {
    this.starting--;
    this.#startupFailures = 0;
  }

  /** A worker is on its way out: a replacement no longer waits for it. */
  workerLeaving(): void {
    this.leaving++;
  }

  /** A worker's exit arrived: it counts nowhere any more. */
  workerExited(slot: W): void {
    const index = this.workers.indexOf(slot);
    if (index >= 0) this.workers.splice(index, 1);
    if (!slot.ready) this.starting--;
    if (slot.leaving) this.leaving--;
  }

  /** A worker started a job: workers no longer die before running anything. */
  workerRan(): void {
    this.#failureStreak = 0;
  }

  /**
   * Whether jobs may be handed ahead to busy workers at all. Not while the lane may still fork: a
   * job would wait for a busy worker rather than for the fork. A lane in start-up backoff cannot
   * fork, so it may. Not before a job has finished: nothing is known of run times yet.
   */
  mayHandAhead(): boolean {
    if (this.workers.length - this.leaving - this.starting < this.maxWorkers && this.#failureStreak === 0) return false;
    return !Number.isNaN(this.#ewma);
  }

  recordRunTime(ms: number): void {
    const sample = Math.max(ms, 0); // the clocks are ms-grained and may step back
    this.#ewma = Number.isNaN(this.#ewma) ? sample : this.#ewma + EWMA_ALPHA * (sample - this.#ewma);
  }

  /** Notes a worker that died before it ran anything, and pushes the next fork back. */
  recordFailure(now: number): void {
    this.#failureStreak++;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.#failureStreak - 1));
    this.#nextSpawnAt = now + delay;
  }

  /**
   * Notes a worker that never reached READY (and pushes the next fork back): true once
   * MAX_STARTUP_FAILURES did in a row, when the count starts over and the caller fails what waits.
   */
  recordStartupFailure(now: number): boolean {
    this.#startupFailures++;
    this.recordFailure(now);
    if (this.#startupFailures < MAX_STARTUP_FAILURES) return false;
    this.#startupFailures = 0;
    return true;
  }

  /** Runs `retry` once in `ms` (unref'd), for a fork the backoff holds back. */
  armRetry(ms: number, retry: () => void): void {
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      retry();
    }, ms).unref();
  }

  cancelRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }
}
