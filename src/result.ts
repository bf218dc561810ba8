import { onAbort } from "./abort.ts";
import { BackendNotSupported, TaskFailed, WaitTimeout } from "./errors.ts";
import type { JsonValue } from "./json.ts";
import type { TaskProgress } from "./progress.ts";
import type { Task } from "./task.ts";
import type { TaskError } from "./task-error.ts";
import { MAX_TIMER_MS } from "./timers.ts";

/** The four states of a result (Django's TaskResultStatus; README, "Enqueuing and results"); there are no others. */
export const TaskResultStatus = {
  /** Enqueued, waiting for a worker (or for its `runAfter` time, or for a retry). */
  READY: "READY",
  /** A worker is running it. */
  RUNNING: "RUNNING",
  /** Finished; `returnValue` holds what the task returned. */
  SUCCESSFUL: "SUCCESSFUL",
  /** Finished with an error, or could not run; `errors` says why. */
  FAILED: "FAILED",
} as const;

/** One of `READY`, `RUNNING`, `SUCCESSFUL`, `FAILED`. */
export type TaskResultStatus = (typeof TaskResultStatus)[keyof typeof TaskResultStatus];

/** True for SUCCESSFUL and FAILED: the one definition of "finished" (`isFinished` in `lifecycle.ts` reads it). */
export function isFinishedStatus(status: TaskResultStatus): boolean {
  return status === TaskResultStatus.SUCCESSFUL || status === TaskResultStatus.FAILED;
}

/**
 * The backend-owned, mutable record behind a result. Only backends change it, through the functions
 * in `lifecycle.ts`; users see it through `TaskResult` snapshots. Times are epoch milliseconds.
 */
export interface ResultState {
  readonly id: string;
  readonly task: Task;
  readonly args: JsonValue[];
  readonly owner: ResultOwner;
  status: TaskResultStatus;
  enqueuedAt: number;
  startedAt: number | null;
  lastAttemptedAt: number | null;
  finishedAt: number | null;
  /** Replaced on change, never mutated in place (snapshots share it). */
  errors: readonly TaskError[];
  /** Replaced on change, never mutated in place (snapshots share it). */
  workerIds: readonly string[];
  returnValue: JsonValue | undefined;
  progress: TaskProgress | null;
  /** The slot (its due time) when a schedule enqueued this result, else null. */
  readonly scheduledAt: number | null;
  /**
   * @internal Who waits for it to finish in this process: lifecycle.ts's alone to read and change.
   * Absent on a persistent backend's snapshots, which wait their own way.
   */
  waiters?: StateWaiters;
}

/** @internal Called with the state once it finishes. */
export type StateWaiter = (state: ResultState) => void;
/** @internal A state's waiters: one as it is, several in an array. */
export type StateWaiters = StateWaiter | StateWaiter[] | null;

/** What a result needs from its backend. `BaseTaskBackend` implements it. */
export interface ResultOwner {
  readonly alias: string;
  readonly supportsGetResult: boolean;
  /** Returns the freshest state for `state.id` (in-memory backends return `state` itself). */
  refreshState(state: ResultState): Promise<ResultState>;
  /** Resolves once `state` is finished. */
  waitForState(state: ResultState, signal: AbortSignal | undefined): Promise<ResultState>;
  /** Cancels the task behind `state`; resolves false when it had already finished. */
  cancelState(state: ResultState, reason: unknown): Promise<boolean>;
}

/** Options of `TaskResult.wait()`. */
export interface WaitOptions {
  /** Give up after this many milliseconds with a `WaitTimeout` error; the task is not affected. */
  timeoutMs?: number;
  /** Give up when this signal aborts, rejecting with its reason; the task is not affected. */
  signal?: AbortSignal;
}

/**
 * The outcome of an enqueued task: a snapshot of its state at the moment it was taken. `refresh()`
 * and `wait()` bring it up to date. An instance stays usable after the backend evicted its stored
 * copy: it holds on to the state it was made from.
 */
export class TaskResult<Return = unknown> {
  /** Opaque id, under 64 characters. */
  readonly id: string;
  /** The task that was enqueued (with any `using()` changes). */
  readonly task: Task<never, Return>;
  /** Alias of the backend that holds this result. */
  readonly backend: string;

  // The snapshot: every field below is set by #copy alone (the constructor calls it too), so a new
  // field is one line there, as Django's TASK_REFRESH_ATTRS lists them once for refresh and creation.
  #state!: ResultState;
  // The state this result was made from: its arguments never change, and a pool backend's are only
  // decoded when read.
  readonly #origin: ResultState;
  #status!: TaskResultStatus;
  #enqueuedAt!: number;
  #startedAt!: number | null;
  #lastAttemptedAt!: number | null;
  #finishedAt!: number | null;
  #errors!: readonly TaskError[];
  #workerIds!: readonly string[];
  #returnValue!: JsonValue | undefined;
  #progress!: TaskProgress | null;

  /** @internal Backends create results; users receive them from `enqueue` and `getResult`. */
  constructor(state: ResultState) {
    this.id = state.id;
    this.task = state.task as Task<never, Return>;
    this.#origin = state;
    this.backend = state.owner.alias;
    this.#copy(state);
  }

  #copy(state: ResultState): void {
    this.#state = state;
    this.#status = state.status;
    this.#enqueuedAt = state.enqueuedAt;
    this.#startedAt = state.startedAt;
    this.#lastAttemptedAt = state.lastAttemptedAt;
    this.#finishedAt = state.finishedAt;
    this.#errors = state.errors;
    this.#workerIds = state.workerIds;
    this.#returnValue = state.returnValue;
    this.#progress = state.progress;
  }

  /** The arguments, normalised to JSON. */
  get args(): readonly JsonValue[] {
    return this.#origin.args;
  }

  get status(): TaskResultStatus {
    return this.#status;
  }
  get enqueuedAt(): Date {
    return new Date(this.#enqueuedAt);
  }
  /** When the first attempt started; null while READY. */
  get startedAt(): Date | null {
    return this.#startedAt === null ? null : new Date(this.#startedAt);
  }
  /** When the latest attempt started. */
  get lastAttemptedAt(): Date | null {
    return this.#lastAttemptedAt === null ? null : new Date(this.#lastAttemptedAt);
  }
  get finishedAt(): Date | null {
    return this.#finishedAt === null ? null : new Date(this.#finishedAt);
  }
  /** One record per failed attempt, oldest first. */
  get errors(): readonly TaskError[] {
    return this.#errors;
  }
  /** One worker id per attempt (the running attempt included). */
  get workerIds(): readonly string[] {
    return this.#workerIds;
  }
  /** Number of attempts so far, the running one included. */
  get attempts(): number {
    return this.#workerIds.length;
  }
  /**
   * The due time of the schedule slot this result was enqueued for (see `schedule()`), or null when
   * no schedule enqueued it. Fixed at enqueue, so it is read from the first snapshot on.
   */
  get scheduledAt(): Date | null {
    const at = this.#state.scheduledAt;
    return at === null ? null : new Date(at);
  }
  /** The latest progress the task reported, or null. */
  get progress(): TaskProgress | null {
    return this.#progress;
  }
  /** True when the status is SUCCESSFUL or FAILED. */
  get isFinished(): boolean {
    return isFinishedStatus(this.#status);
  }
  /**
   * What the task returned (a function that returns nothing gives `null`).
   * @throws TaskFailed when FAILED (with the last error as `cause`); Error "Task has not finished yet" before that.
   */
  get returnValue(): Return {
    if (this.#status === TaskResultStatus.SUCCESSFUL) return this.#returnValue as Return;
    if (this.#status === TaskResultStatus.FAILED) {
      const last = this.#errors.at(-1);
      const why = last === undefined ? "" : `: ${last.exceptionClassPath}: ${last.message}`;
      throw new TaskFailed(`Task failed${why} (task ${this.task.modulePath}, result ${this.id})`, { cause: last });
    }
    throw new Error("Task has not finished yet");
  }

  /** Re-reads the mutable fields from the backend. */
  async refresh(): Promise<void> {
    const owner = this.#state.owner;
    if (!owner.supportsGetResult) {
      throw new BackendNotSupported(`Backend '${owner.alias}' does not support retrieving or refreshing results.`);
    }
    this.#copy(await owner.refreshState(this.#state));
  }

  /**
   * Resolves with this result, up to date, once it is finished (SUCCESSFUL or FAILED).
   * @throws WaitTimeout when `timeoutMs` passes first; the signal's reason when `signal` aborts.
   */
  wait(options: WaitOptions = {}): Promise<this> {
    // Not an async function on the common path (no timeout): a flood keeps one wait per task alive,
    // and its suspended frame added ~250 bytes to each (650 instead of 403: `node --expose-gc
    // bench/profile-retained.mjs`). Whatever goes wrong still arrives as a rejection, as from an
    // async function.
    try {
      const { timeoutMs, signal } = options;
      if (isFinishedStatus(this.#state.status)) {
        this.#copy(this.#state);
        return Promise.resolve(this);
      }
      if (timeoutMs !== undefined) return this.#waitAtMost(timeoutMs, signal);
      return this.#state.owner.waitForState(this.#state, signal).then((state) => {
        this.#copy(state);
        return this;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `wait()` with a timeout. */
  async #waitAtMost(timeoutMs: number, signal: AbortSignal | undefined): Promise<this> {
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      throw new RangeError(`wait(): timeoutMs must be a number >= 0 (got ${String(timeoutMs)})`);
    }
    if (timeoutMs > MAX_TIMER_MS) {
      // setTimeout would fire at once and report a timeout that never happened.
      throw new RangeError(`wait(): timeoutMs must be at most ${MAX_TIMER_MS} (got ${timeoutMs})`);
    }
    const controller = new AbortController();
    let stopForwarding: (() => void) | undefined;
    if (signal?.aborted) controller.abort(signal.reason);
    else if (signal) stopForwarding = onAbort(signal, (reason) => controller.abort(reason));
    const timer = setTimeout(() => {
      controller.abort(
        new WaitTimeout(
          `Timed out after ${timeoutMs} ms waiting for result ${this.id} of ${this.task.modulePath}` +
            ` (still ${this.#state.status}); the task itself is not affected.`,
        ),
      );
    }, timeoutMs);
    try {
      this.#copy(await this.#state.owner.waitForState(this.#state, controller.signal));
      return this;
    } finally {
      clearTimeout(timer);
      stopForwarding?.();
    }
  }

  /**
   * Cancels the task. A waiting one (READY, including between retries) is removed at once; a running
   * one sees `context.signal` abort and is stopped after the backend's grace period if it does not
   * finish. Either way it ends FAILED with a `TaskCancelled` error, and this snapshot is refreshed.
   * @returns true when this call cancelled it, false when it had already finished.
   */
  async cancel(reason?: unknown): Promise<boolean> {
    const owner = this.#state.owner;
    const cancelled = await owner.cancelState(this.#state, reason);
    // In-memory backends changed the state itself; a persistent one has a new row to read.
    this.#copy(await owner.refreshState(this.#state));
    return cancelled;
  }

  /** A short description for logs and the REPL. */
  toString(): string {
    return `TaskResult(id=${this.id}, path=${this.task.modulePath}, status=${this.#status})`;
  }

  /** A plain JSON view (what `tasklane run` prints). */
  toJSON(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {
      id: this.id,
      task: this.task.modulePath,
      backend: this.backend,
      status: this.#status,
      args: this.args as JsonValue[],
      enqueuedAt: this.enqueuedAt.toISOString(),
      startedAt: this.startedAt?.toISOString() ?? null,
      lastAttemptedAt: this.lastAttemptedAt?.toISOString() ?? null,
      finishedAt: this.finishedAt?.toISOString() ?? null,
      attempts: this.attempts,
      workerIds: [...this.#workerIds],
      errors: this.#errors.map((e) => ({ ...e })),
      progress: this.#progress as JsonValue,
    };
    if (this.#status === TaskResultStatus.SUCCESSFUL) out.returnValue = this.#returnValue ?? null;
    // Only for results a schedule enqueued, so every other result prints as it always did.
    if (this.#state.scheduledAt !== null) out.scheduledAt = new Date(this.#state.scheduledAt).toISOString();
    return out;
  }
}
