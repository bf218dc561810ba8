import { availableParallelism } from "node:os";
import { BackendClosed, InvalidTaskBackend } from "../errors.ts";
import { recordEnqueued, recordFailed, recordProgress, recordStarted, recordSucceeded } from "../lifecycle.ts";
import { WorkerPool } from "../pool/pool.ts";
import type { PoolJob, WorkerInfo } from "../pool/types.ts";
import { type ResultState, TaskResult } from "../result.ts";
import { ResultStore } from "../result-store.ts";
import type { AnyTask } from "../task.ts";
import { type BackendParams, BaseTaskBackend, type CloseOptions } from "./base.ts";
import { type OptionSpec, positiveInteger, readOptions } from "./options.ts";

/** The lane every queue without its own `options.queues` entry shares. */
const SHARED_LANE = "*";

/** A job that remembers the result state it runs for (the engine passes it back unchanged). */
interface BackendJob extends PoolJob {
  readonly state: ResultState;
}

type LaneOptions = Record<string, { maxWorkers: number }>;

const laneOptions: OptionSpec<LaneOptions> = {
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

/**
 * What the thread and process pools share: options, lanes, the result store, and turning the
 * engine's callbacks into result transitions. The engine (`src/pool/`) knows nothing of results.
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

  readonly #store: ResultStore;
  readonly #laneOf: ReadonlyMap<string, string>;
  readonly #lanes: LaneOptions;
  #pool: WorkerPool | null = null;
  #nextKey = 1;
  #closed = false;

  protected abstract readonly runtime: "process" | "thread";

  constructor(params: BackendParams, backendName: string) {
    super(params);
    const options = readOptions(params.alias, backendName, params.options, {
      maxWorkers: positiveInteger(availableParallelism()),
      maxResults: positiveInteger(1000),
      queues: laneOptions,
    });
    this.maxWorkers = options.maxWorkers;
    this.maxResults = options.maxResults;
    this.#store = new ResultStore(options.maxResults);
    const laneOf = new Map<string, string>();
    const lanes: LaneOptions = { [SHARED_LANE]: { maxWorkers: options.maxWorkers } };
    for (const [queue, lane] of Object.entries(options.queues)) {
      if (this.queues.size > 0 && !this.queues.has(queue)) {
        throw new InvalidTaskBackend(
          `Option 'queues.${queue}' of backend '${params.alias}' (${backendName}) names a queue that is not ` +
            `in its queues list (${[...this.queues].join(", ")}).`,
        );
      }
      laneOf.set(queue, queue);
      lanes[queue] = { maxWorkers: lane.maxWorkers };
    }
    this.#laneOf = laneOf;
    this.#lanes = lanes;
  }

  override async enqueue(task: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    if (this.#closed) {
      throw new BackendClosed(`Backend '${this.alias}' is closed; ${task.modulePath} was not enqueued.`);
    }
    const state = this.newState(task, args);
    this.#store.add(state);
    recordEnqueued(state);
    const job: BackendJob = {
      key: this.#nextKey++,
      moduleUrl: task.moduleUrl,
      exportName: task.name,
      args: state.args,
      priority: task.priority,
      lane: this.#laneOf.get(task.queueName) ?? SHARED_LANE,
      runAfter: task.runAfter === null ? null : task.runAfter.getTime(),
      resultId: state.id,
      attempt: 1,
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
    };
    this.#ensurePool().submit(job);
    return new TaskResult(state);
  }

  override async getResult(id: string): Promise<TaskResult> {
    const state = this.#store.get(id);
    if (!state) throw this.doesNotExist(id);
    return new TaskResult(state);
  }

  /**
   * Stops taking work (enqueue then raises `BackendClosed`), lets queued and running tasks finish
   * within `timeoutMs` (default 10 s), fails what is left with `BackendClosed`, and ends every worker.
   */
  override async close(options: CloseOptions = {}): Promise<void> {
    this.#closed = true;
    await this.#pool?.close(options);
  }

  /** The live workers, for monitoring and tests. */
  workerInfo(): WorkerInfo[] {
    return this.#pool?.workerInfo() ?? [];
  }

  /** Tasks enqueued here that have not finished. */
  get pending(): number {
    return this.#pool?.pending ?? 0;
  }

  #ensurePool(): WorkerPool {
    if (this.#pool) return this.#pool;
    const store = this.#store;
    this.#pool = new WorkerPool({
      runtime: this.runtime,
      lanes: this.#lanes,
      listener: {
        onStart(job, workerId, startedAt) {
          recordStarted((job as BackendJob).state, workerId, startedAt);
        },
        onProgress(job, progress) {
          recordProgress((job as BackendJob).state, progress);
        },
        onFinish(job, outcome, finishedAt) {
          const { state } = job as BackendJob;
          if (outcome.ok) recordSucceeded(state, outcome.value, finishedAt);
          else recordFailed(state, outcome.error, finishedAt);
          store.finished(state);
        },
      },
    });
    return this.#pool;
  }
}
