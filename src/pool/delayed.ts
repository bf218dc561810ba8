import { MAX_TIMER_MS } from "../timers.ts";
import { DelayHeap } from "./delay-heap.ts";
import type { PoolJob } from "./types.ts";

/** Jobs whose `runAfter` is in the future: one heap and one timer for the earliest of them. */
export class DelayedJobs {
  readonly #heap = new DelayHeap<PoolJob>();
  /** Keys in the heap, so a cancel knows whether the job is here. */
  readonly #keys = new Set<number>();
  /** Keys of cancelled jobs still in the heap: skipped when due, so a cancel costs O(1). */
  readonly #cancelled = new Set<number>();
  readonly #onDue: (job: PoolJob) => void;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Number.POSITIVE_INFINITY;

  /** @param onDue - receives each job once it is eligible (then the pool's dispatch follows). */
  constructor(onDue: (job: PoolJob) => void) {
    this.#onDue = onDue;
  }

  /** Jobs delayed here. The engine never asks (it counts pending jobs in the ledger); the structures test does. */
  get size(): number {
    return this.#keys.size;
  }

  add(job: PoolJob): void {
    this.#heap.push(job);
    this.#keys.add(job.key);
    if ((job.runAfter ?? 0) < this.#timerAt) this.#arm();
  }

  /** Removes a job (the caller finishes it); false when it is not here. */
  cancel(key: number): boolean {
    if (!this.#keys.delete(key)) return false;
    if (this.#keys.size === 0) {
      this.#heap.drain();
      this.#cancelled.clear();
      this.#arm();
    } else {
      this.#cancelled.add(key);
    }
    return true;
  }

  /** Removes and returns the jobs matching `test`, keeping the others. */
  take(test: (job: PoolJob) => boolean): PoolJob[] {
    const taken: PoolJob[] = [];
    for (const job of this.#heap.drain()) {
      if (this.#cancelled.delete(job.key)) continue;
      if (test(job)) {
        this.#keys.delete(job.key);
        taken.push(job);
      } else {
        this.#heap.push(job);
      }
    }
    this.#arm();
    return taken;
  }

  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #arm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const next = this.#heap.peek();
    this.#timerAt = next?.runAfter ?? Number.POSITIVE_INFINITY;
    if (next === undefined) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, this.#timerAt - Date.now()));
    // Unref'd: the pool's keep-alive already holds the loop while jobs are pending.
    this.#timer = setTimeout(this.#fire, delay).unref();
  }

  readonly #fire = (): void => {
    this.#timer = null;
    const now = Date.now();
    for (let job = this.#heap.peek(); job !== undefined && (job.runAfter ?? 0) <= now; job = this.#heap.peek()) {
      this.#heap.pop();
      if (this.#cancelled.delete(job.key)) continue;
      this.#keys.delete(job.key);
      this.#onDue(job);
    }
    this.#arm();
  };
}
