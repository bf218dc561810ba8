import { retryDelay } from "../backoff.ts";
import { BackendClosed, PayloadTooLarge } from "../errors.ts";
import {
  cancellationError,
  isFinished,
  recordEnqueued,
  recordFailed,
  recordProgress,
  recordRetry,
  recordStarted,
  recordSucceeded,
} from "../lifecycle.ts";
import { WorkerPool } from "../pool/pool.ts";
import type { PoolJob, WorkerInfo } from "../pool/types.ts";
import { type ResultState, TaskResult } from "../result.ts";
import { ResultStore } from "../result-store.ts";
import type { Outcome } from "../run-task.ts";
import type { AnyTask } from "../task.ts";
import { type BackendParams, BaseTaskBackend, type CloseOptions } from "./base.ts";
import { readPoolOptions, SHARED_LANE } from "./pool-options.ts";

/** One attempt of a result, as handed to the engine (which passes it back unchanged). */
interface BackendJob extends PoolJob {
  readonly state: ResultState;
  /** Detaches the task's cancel signal; carried from attempt to attempt. */
  readonly unwatch: (() => void) | null;
}

/**
 * What the thread and process pools share: options, lanes, the result store, retries, and turning
 * the engine's callbacks into result transitions. The engine (`src/pool/`) knows nothing of results.
 */
export abstract class PoolBackend extends BaseTaskBackend {
  override readonly supportsDefer: boolean = true;
  override readonly supportsAsyncTask: boolean = true;
  override readonly supportsGetResult: boolean = true;
  override readonly supportsPriority: boolean = true;

  /** Workers of the shared lane (queues without their own entry in `options.queues`). */
  readonly maxWorkers: number;
  /** How many finished results are kept for `getResult`. */
  readonly maxResults: number;
  /** Largest accepted argument list, in bytes of JSON. */
  readonly maxPayloadBytes: number;
  /** How long a cancelled running task may take to stop before its worker is killed. */
  readonly cancelGraceMs: number;

  readonly #store: ResultStore;
  readonly #options: ReturnType<typeof readPoolOptions>;
  #pool: WorkerPool | null = null;
  #nextKey = 1;
  #closed = false;
  // The payload bound's accumulator, reused: enqueue is synchronous until it has been read.
  readonly #size = { bytes: 0 };

  protected abstract readonly runtime: "process" | "thread";

  constructor(params: BackendParams, backendName: string) {
    super(params);
    this.#options = readPoolOptions(params.alias, backendName, params.options, this.queues);
    this.maxWorkers = this.#options.maxWorkers;
    this.maxResults = this.#options.maxResults;
    this.maxPayloadBytes = this.#options.maxPayloadBytes;
    this.cancelGraceMs = this.#options.cancelGraceMs;
    this.#store = new ResultStore(this.#options.maxResults);
  }

  override async enqueue(task: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    if (this.#closed) {
      throw new BackendClosed(`Backend '${this.alias}' is closed; ${task.modulePath} was not enqueued.`);
    }
    const size = this.#size;
    size.bytes = 0;
    const state = this.newState(task, args, size);
    if (size.bytes > this.maxPayloadBytes) this.#checkPayload(state);
    this.#store.add(state);
    recordEnqueued(state);
    const signal = task.signal;
    let unwatch: (() => void) | null = null;
    if (signal !== null && !signal.aborted) {
      const onAbort = () => void this.cancelState(state, signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      unwatch = () => signal.removeEventListener("abort", onAbort);
    }
    this.#submit(state, 1, task.runAfter === null ? null : task.runAfter.getTime(), unwatch);
    if (signal?.aborted) await this.cancelState(state, signal.reason);
    return new TaskResult(state);
  }

  override async getResult(id: string): Promise<TaskResult> {
    const state = this.#store.get(id);
    if (!state) throw this.doesNotExist(id);
    return new TaskResult(state);
  }

  /**
   * Cancels a result: removed at once while waiting (also between retries); while running, the
   * task's `context.signal` aborts and its worker is killed after `cancelGraceMs` if the task has not
   * finished. Resolves once the result is finished (FAILED with `TaskCancelled`).
   */
  override async cancelState(state: ResultState, reason: unknown): Promise<boolean> {
    const job = state.handle as BackendJob | null;
    if (isFinished(state) || job === null || this.#pool === null) return false;
    if (!this.#pool.cancel(job.key, cancellationError(reason), this.cancelGraceMs)) return false;
    await this.waitForState(state, undefined);
    return true;
  }

  /**
   * Stops taking work (enqueue then raises `BackendClosed`), lets queued and running tasks finish
   * within `timeoutMs` (default 10 s), fails what is left with `BackendClosed`, and ends every worker.
   * Tasks waiting for a retry are not retried any more.
   */
  override async close(options: CloseOptions = {}): Promise<void> {
    this.#closed = true;
    await this.#pool?.close(options);
  }

  /** Snapshots of the results held for `getResult`, oldest enqueued first: for monitoring (the dashboard). */
  *heldResults(): IterableIterator<TaskResult> {
    for (const state of this.#store.values()) yield new TaskResult(state);
  }

  /** The live workers, for monitoring and tests. */
  workerInfo(): WorkerInfo[] {
    return this.#pool?.workerInfo() ?? [];
  }

  /** Tasks enqueued here that have not finished (waiting, retrying or running). */
  get pending(): number {
    return this.#pool?.pending ?? 0;
  }

  /** Hands one attempt of `state` to the engine. */
  #submit(state: ResultState, attempt: number, runAfter: number | null, unwatch: (() => void) | null): void {
    const task = state.task;
    const job: BackendJob = {
      key: this.#nextKey++,
      moduleUrl: task.moduleUrl,
      exportName: task.name,
      args: state.args,
      priority: task.priority,
      lane: this.#options.laneOf.get(task.queueName) ?? SHARED_LANE,
      runAfter,
      resultId: state.id,
      attempt,
      timeoutMs: task.timeoutMs,
      contextMeta: task.takesContext
        ? {
            id: state.id,
            backend: this.alias,
            enqueuedAt: state.enqueuedAt,
            startedAt: state.startedAt,
            workerIds: state.workerIds.slice(),
            errors: state.errors.slice(),
          }
        : null,
      state,
      unwatch,
    };
    state.handle = job;
    this.#ensurePool().submit(job);
  }

  #finished(job: BackendJob, outcome: Outcome, at: number): void {
    const { state } = job;
    if (!outcome.ok) {
      const delay = this.#closed ? null : retryDelay(state.task, outcome.error, job.attempt);
      if (delay !== null) {
        recordRetry(state, outcome.error);
        this.#submit(state, job.attempt + 1, delay > 0 ? at + delay : null, job.unwatch);
        return;
      }
    }
    job.unwatch?.();
    state.handle = null;
    if (outcome.ok) recordSucceeded(state, outcome.value, at);
    else recordFailed(state, outcome.error, at);
    this.#store.finished(state);
  }

  /** Measures the arguments exactly (the cheap bound was over the limit) and refuses them if too big. */
  #checkPayload(state: ResultState): void {
    const bytes = Buffer.byteLength(JSON.stringify(state.args));
    if (bytes <= this.maxPayloadBytes) return;
    throw new PayloadTooLarge(
      `The arguments of ${state.task.modulePath} are ${bytes} bytes as JSON, over maxPayloadBytes ` +
        `(${this.maxPayloadBytes}) of backend '${this.alias}': pass a reference to the data (a path, a URL, a key) instead.`,
    );
  }

  #ensurePool(): WorkerPool {
    if (this.#pool) return this.#pool;
    const { lanes, recycle } = this.#options;
    this.#pool = new WorkerPool({
      runtime: this.runtime,
      lanes,
      ...(recycle === null ? {} : { recycle }),
      listener: {
        onStart(job, workerId, startedAt) {
          recordStarted((job as BackendJob).state, workerId, startedAt);
        },
        onProgress(job, progress) {
          recordProgress((job as BackendJob).state, progress);
        },
        onFinish: (job, outcome, finishedAt) => this.#finished(job as BackendJob, outcome, finishedAt),
      },
    });
    return this.#pool;
  }
}
