import type { Outcome } from "../outcome.ts";
import type { TaskProgress } from "../progress.ts";
import { describeThrown, type TaskError } from "../task-error.ts";
import { KeepAlive } from "./keep-alive.ts";
import type { PoolJob, PoolListener } from "./types.ts";

/** A cancellation on its way: what the job will finish with, and how long it may take to stop. */
export interface Cancellation {
  readonly error: TaskError;
  readonly graceMs: number;
  /** The kill timer, armed once the job is known to be running. */
  timer: NodeJS.Timeout | null;
}

/**
 * Every job submitted and not finished, by key, and the one door through which a job finishes:
 * exactly one `onFinish` per job, whichever of the worker, a timer, a crash or `close()` gets there
 * first, and a cancelled job always finishes with its cancellation error. It also holds the event
 * loop open while jobs are pending.
 */
export class JobLedger {
  readonly #jobs = new Map<number, PoolJob>();
  readonly #cancels = new Map<number, Cancellation>();
  readonly #listener: PoolListener;
  readonly #keepAlive = new KeepAlive();
  /** The largest key added so far. */
  #maxKey = Number.NEGATIVE_INFINITY;
  /** Hold the loop even with nothing pending (while closing). */
  #held = false;
  /** Called when the last pending job finishes. */
  onDrained: (() => void) | null = null;

  constructor(listener: PoolListener) {
    this.#listener = listener;
  }

  /** Jobs submitted and not finished. */
  get size(): number {
    return this.#jobs.size;
  }

  /** @throws RangeError when a pending job already has this key. */
  add(job: PoolJob): void {
    const key = job.key;
    // Keys normally increase: only one at or below the largest seen needs the lookup.
    if (key > this.#maxKey) this.#maxKey = key;
    else if (this.#jobs.has(key)) throw new RangeError(`A job with key ${key} is already pending`);
    this.#jobs.set(key, job);
    if (this.#jobs.size === 1) this.#keepAlive.set(true);
  }

  get(key: number): PoolJob | undefined {
    return this.#jobs.get(key);
  }

  /** The pending cancellation of this job, if any. */
  cancellation(key: number): Cancellation | undefined {
    return this.#cancels.size === 0 ? undefined : this.#cancels.get(key);
  }

  /** Records that the job is to finish with `error`; it finishes when its worker lets go of it. */
  cancel(key: number, error: TaskError, graceMs: number): Cancellation {
    const cancellation: Cancellation = { error, graceMs, timer: null };
    this.#cancels.set(key, cancellation);
    return cancellation;
  }

  /**
   * Finishes a job: false (and nothing reported) when it already finished. A cancellation
   * replaces whatever outcome the job reached.
   */
  finish(job: PoolJob, outcome: Outcome, at: number): boolean {
    if (!this.#jobs.delete(job.key)) return false;
    if (this.#cancels.size !== 0) {
      const cancellation = this.#cancels.get(job.key);
      if (cancellation !== undefined) {
        this.#cancels.delete(job.key);
        if (cancellation.timer !== null) clearTimeout(cancellation.timer);
        outcome = { ok: false, error: cancellation.error };
      }
    }
    if (this.#jobs.size === 0) {
      if (!this.#held) this.#keepAlive.set(false);
      this.onDrained?.();
    }
    try {
      this.#listener.onFinish(job, outcome, at);
    } catch (error) {
      warnListener("onFinish", error);
    }
    return true;
  }

  started(job: PoolJob, workerId: string, at: number): void {
    try {
      this.#listener.onStart(job, workerId, at);
    } catch (error) {
      warnListener("onStart", error);
    }
  }

  progress(job: PoolJob, progress: TaskProgress): void {
    try {
      this.#listener.onProgress(job, progress);
    } catch (error) {
      warnListener("onProgress", error);
    }
  }

  /** Holds the event loop open until `dispose()`, pending jobs or not (an awaited close()). */
  hold(): void {
    this.#held = true;
    this.#keepAlive.set(true);
  }

  dispose(): void {
    this.#keepAlive.dispose();
  }
}

function warnListener(hook: string, error: unknown): void {
  process.emitWarning(`tasklane: the pool listener's ${hook} threw: ${describeThrown(error)}`, {
    code: "TASKLANE_LISTENER_ERROR",
  });
}
