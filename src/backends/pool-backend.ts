import { BackendClosed, PayloadTooLarge, QueueFull } from "../errors.ts";
import { refuseInsideWorker } from "../in-worker.ts";
import type { JsonValue } from "../json.ts";
import { cancellationError, isFinished, recordProgress, recordStarted } from "../lifecycle.ts";
import type { Outcome } from "../outcome.ts";
import { WorkerPool } from "../pool/pool.ts";
import type { PoolJob, WorkerInfo } from "../pool/types.ts";
import { type ResultState, TaskResult, TaskResultStatus } from "../result.ts";
import { ResultStore } from "../result-store.ts";
import type { AnyTask } from "../task.ts";
import { toTaskError } from "../task-error.ts";
import { decodePayload, encodePayload, type Payload } from "../wire/payload.ts";
import type { WorkerResultMeta } from "../wire/protocol.ts";
import type { BackendParams, CloseOptions } from "./base.ts";
import { InMemoryBackend } from "./in-memory.ts";
import { readPoolOptions, SHARED_LANE } from "./pool-options.ts";

/** One attempt of a result, as handed to the engine (which passes it back unchanged). */
interface BackendJob extends PoolJob {
  readonly args: Payload;
  readonly state: ResultState;
}

/**
 * What the thread and process pools share: options, lanes, the result store, retries, and turning
 * the engine's callbacks into result transitions. The engine (`src/pool/`) knows nothing of results.
 */
export abstract class PoolBackend extends InMemoryBackend<BackendJob> {
  override readonly supportsDefer: boolean = true;
  override readonly supportsAsyncTask: boolean = true;
  override readonly supportsPriority: boolean = true;

  /** Workers of the shared lane (queues without their own entry in `options.queues`). */
  readonly maxWorkers: number;
  /** How many finished results are kept for `getResult`. */
  readonly maxResults: number;
  /** Largest accepted argument list, in bytes of JSON. */
  readonly maxPayloadBytes: number;
  /** How long a cancelled running task may take to stop before its worker is killed. */
  readonly cancelGraceMs: number;
  /**
   * Option `maxQueued`: most unfinished tasks (waiting, deferred, retrying or running) the backend
   * holds; an enqueue beyond it raises `QueueFull` before anything is stored. Unbounded by default,
   * like piscina's `maxQueue`: a default would refuse work an application sized for on its own.
   * @defaultValue null (no limit)
   */
  readonly maxQueued: number | null;
  /**
   * Option `maxResultBytes`: most bytes of JSON (arguments + return value) the finished results kept
   * for `getResult` may hold together; past it the oldest finished are evicted first (unfinished
   * ones never), and a result larger than this by itself is not kept. Measuring costs a
   * `JSON.stringify` per finished task, so it is only done when this is set.
   * @defaultValue null (only `maxResults` bounds them)
   */
  readonly maxResultBytes: number | null;
  /**
   * How long a worker may take to import a task's module for a task without a `timeoutMs` (a task
   * with one spends its own time on the import), in ms; past it the worker is replaced and the
   * task fails with `TaskTimeout`. Null: no limit.
   * @defaultValue 30000
   */
  readonly importTimeoutMs: number | null;

  readonly #options: ReturnType<typeof readPoolOptions>;
  #pool: WorkerPool | null = null;
  #nextKey = 1;

  // A constructor argument, not an abstract field: a subclass's fields are not set yet while this
  // constructor runs, and `minWorkers` forks from here.
  readonly #runtime: "process" | "thread";

  constructor(params: BackendParams, backendName: string, runtime: "process" | "thread") {
    const options = readPoolOptions(params.alias, backendName, params.options);
    super(
      withLaneQueues(params),
      new ResultStore(
        options.maxResults,
        options.maxResultBytes === null ? null : { maxBytes: options.maxResultBytes, measure: resultBytes },
      ),
    );
    this.#options = options;
    this.#runtime = runtime;
    this.maxWorkers = this.#options.maxWorkers;
    this.maxResults = this.#options.maxResults;
    this.maxPayloadBytes = this.#options.maxPayloadBytes;
    this.cancelGraceMs = this.#options.cancelGraceMs;
    this.maxQueued = this.#options.maxQueued;
    this.maxResultBytes = this.#options.maxResultBytes;
    this.importTimeoutMs = this.#options.importTimeoutMs;
    // Warm from the start: the workers fork now, not on the first enqueue.
    if (this.#options.minWorkers > 0) this.#ensurePool();
  }

  /**
   * Resolves once `minWorkers` workers per lane are started and ready (at once without it).
   * @throws WorkerCrashed when a lane's workers keep failing to start; BackendClosed after `close()`.
   */
  override ready(): Promise<void> {
    if (this.closed) return Promise.reject(new BackendClosed(`Backend '${this.alias}' is closed.`));
    return this.#pool === null ? Promise.resolve() : this.#pool.ready();
  }

  override async enqueue(task: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    // Task.enqueue refuses first; this covers a direct backend.enqueue(): no pool inside a worker.
    refuseInsideWorker(task.modulePath, task.name);
    this.refuseIfClosed(task);
    if (this.maxQueued !== null && this.pending >= this.maxQueued) {
      throw new QueueFull(
        `Backend '${this.alias}' holds ${this.pending} unfinished tasks, its maxQueued (${this.maxQueued}); ` +
          `${task.modulePath} was not enqueued: try again once some have finished, or raise maxQueued.`,
      );
    }
    const payload = this.#encodeArgs(task, args);
    const state = this.readyState(task, () => decodePayload(payload) as JsonValue[]);
    this.admit(state);
    const signal = task.signal;
    this.#submit(state, payload, 1, task.runAfter === null ? null : task.runAfter.getTime());
    if (signal?.aborted) await this.cancelState(state, signal.reason);
    return new TaskResult(state);
  }

  /**
   * Cancels a result: removed at once while waiting (also between retries); while running, the
   * task's `context.signal` aborts and its worker is killed after `cancelGraceMs` if the task has not
   * finished. Resolves once the result is finished (FAILED with `TaskCancelled`).
   */
  override async cancelState(state: ResultState, reason: unknown): Promise<boolean> {
    const job = this.handleOf(state);
    if (isFinished(state) || job === undefined || this.#pool === null) return false;
    if (!this.#pool.cancel(job.key, cancellationError(reason), this.cancelGraceMs)) return false;
    await this.waitForState(state, undefined);
    return true;
  }

  /**
   * Stops taking work (enqueue then raises `BackendClosed`), lets queued and running tasks finish
   * within `timeoutMs` (default 10 s), fails what is left with `BackendClosed`, and ends every worker.
   * Tasks waiting for a retry are not retried any more: they end `FAILED` with `BackendClosed` at
   * once, and a running attempt that fails is not retried either. Workers left idle exit at once.
   */
  override async close(options: CloseOptions = {}): Promise<void> {
    if (this.markClosed()) this.#dropRetries();
    await this.#pool?.close(options);
  }

  /** The live workers, for monitoring and tests. */
  workerInfo(): WorkerInfo[] {
    return this.#pool?.workerInfo() ?? [];
  }

  /** Tasks enqueued here that have not finished (waiting, retrying or running). */
  get pending(): number {
    return this.#pool?.pending ?? 0;
  }

  /** Hands one attempt of `state` (its arguments as `args`) to the engine. */
  #submit(state: ResultState, args: Payload, attempt: number, runAfter: number | null): void {
    const task = state.task;
    const job: BackendJob = {
      key: this.#nextKey++,
      moduleUrl: task.moduleUrl,
      exportName: task.name,
      args,
      priority: task.priority,
      lane: this.#options.laneOf.get(task.queueName) ?? SHARED_LANE,
      runAfter,
      resultId: state.id,
      attempt,
      timeoutMs: task.timeoutMs,
      contextMeta: task.takesContext ? contextMetaOf(state, this.alias) : null,
      state,
    };
    this.setHandle(state, job);
    this.#ensurePool().submit(job);
  }

  #finished(job: BackendJob, outcome: Outcome, at: number): void {
    const delay = this.settle(job.state, outcome, job.attempt, at);
    if (delay !== null) this.#submit(job.state, job.args, job.attempt + 1, delay > 0 ? at + delay : null);
  }

  /**
   * The arguments checked against the JSON rules and encoded, once: what every attempt sends, and
   * the snapshot behind `result.args` (a caller changing its values after `enqueue` changes neither).
   * @throws TypeError naming the argument path that is not JSON; PayloadTooLarge over `maxPayloadBytes`.
   */
  #encodeArgs(task: AnyTask, args: readonly unknown[]): Payload {
    let payload: Payload | null = null;
    try {
      payload = encodePayload(args, "args");
    } catch (error) {
      // Past V8's longest string (about 512 MiB of JSON): over any limit. The JSON rules' errors go on.
      if (!(error instanceof RangeError)) throw error;
    }
    if (payload !== null && payload.jsonBound <= this.maxPayloadBytes) return payload;
    // Over the limit by the bound: measured exactly, which only a payload near the limit needs.
    let bytes: number | null = null;
    try {
      if (payload !== null) bytes = Buffer.byteLength(payload.packed ? JSON.stringify(args) : payload.text);
    } catch {
      // Too long to write as JSON at all.
    }
    if (payload !== null && bytes !== null && bytes <= this.maxPayloadBytes) return payload;
    throw new PayloadTooLarge(
      `The arguments of ${task.modulePath} are ${bytes ?? "too many"} bytes as JSON, over maxPayloadBytes ` +
        `(${this.maxPayloadBytes}) of backend '${this.alias}': pass a reference to the data (a path, a URL, a key) instead.`,
    );
  }

  /** For close(): every result waiting for its next attempt ends now, with `BackendClosed`. */
  #dropRetries(): void {
    const pool = this.#pool;
    if (pool === null) return;
    const waiting: BackendJob[] = [];
    for (const state of this.storedStates()) {
      const job = this.handleOf(state);
      if (job !== undefined && job.attempt > 1 && state.status === TaskResultStatus.READY) waiting.push(job);
    }
    for (const job of waiting) {
      const task = job.state.task;
      const error = new BackendClosed(
        `Backend '${this.alias}' was closed before attempt ${job.attempt} of ${task.maxAttempts} of ${task.modulePath} could run; it is not retried.`,
      );
      pool.cancel(job.key, toTaskError(error), this.cancelGraceMs);
    }
  }

  #ensurePool(): WorkerPool {
    if (this.#pool) return this.#pool;
    const { lanes, recycle } = this.#options;
    this.#pool = new WorkerPool({
      runtime: this.#runtime,
      lanes,
      importTimeoutMs: this.importTimeoutMs,
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

/** What a context-taking attempt of `state` is told about its result; `scheduledAt` only when a schedule set it. */
function contextMetaOf(state: ResultState, alias: string): WorkerResultMeta {
  const meta: WorkerResultMeta = {
    id: state.id,
    backend: alias,
    enqueuedAt: state.enqueuedAt,
    startedAt: state.startedAt,
    workerIds: state.workerIds.slice(),
    errors: state.errors.slice(),
  };
  if (state.scheduledAt !== null) meta.scheduledAt = state.scheduledAt;
  return meta;
}

/** What a finished result holds, in bytes of JSON: its arguments and its return value. */
function resultBytes(state: ResultState): number {
  const value = state.returnValue;
  return (
    Buffer.byteLength(JSON.stringify(state.args)) + (value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value)))
  );
}

/**
 * A lane declared under `options.queues` admits its own queue: the lane names it, so listing it again
 * in `queues` is not required. An empty `queues` list (any queue) stays empty.
 */
function withLaneQueues(params: BackendParams): BackendParams {
  const lanes = params.options.queues;
  if (params.queues.length === 0 || typeof lanes !== "object" || lanes === null || Array.isArray(lanes)) return params;
  const queues = [...new Set([...params.queues, ...Object.keys(lanes)])];
  return queues.length === params.queues.length ? params : { ...params, queues };
}
