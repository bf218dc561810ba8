import { currentExecutor } from "../db/transaction.ts";
import { BackendNotSupported, InvalidTask, TaskResultDoesNotExist } from "../errors.ts";
import { type JsonValue, normalizeJson } from "../json.ts";
import { cancellationError, isFinished, recordFailed, whenFinished } from "../lifecycle.ts";
import type { TaskProgress } from "../progress.ts";
import { type ResultOwner, type ResultState, type StateWaiters, type TaskResult, TaskResultStatus } from "../result.ts";
import { newResultId } from "../result-id.ts";
import type { ScheduleDeclaration } from "../schedules/declaration.ts";
import { taggedSlot } from "../schedules/slot-tag.ts";
import type { AnyTask } from "../task.ts";
import type { TaskError } from "../task-error.ts";
import { validateContext, validatePriorityRange, validateRunAfter, validateRunOptions } from "../validation.ts";

/** One alias's configuration: which backend, which queues, and the backend's own options. */
export interface BackendConfig {
  /** A built-in name (`immediate`, `dummy`, `thread-pool`, `process-pool`) or a backend class. */
  backend: string | BackendClass;
  /** Queue names tasks may use; an empty list allows any. Default `["default"]`. */
  queues?: readonly string[];
  /** Options for the backend itself (see each backend). */
  options?: Record<string, unknown>;
  /** Periodic tasks enqueued on this backend (see `schedule()` and `startSchedules()`). */
  schedules?: readonly ScheduleDeclaration[];
}

/** What a backend's constructor receives. */
export interface BackendParams {
  readonly alias: string;
  readonly queues: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
}

/** Options of `close()`. */
export interface CloseOptions {
  /** How long running work may take to finish before it is stopped. */
  timeoutMs?: number;
}

/** A backend class, as named in a configuration. */
export type BackendClass = new (params: BackendParams) => BaseTaskBackend;

/**
 * The backend contract. A backend must implement `enqueue`; `getResult` and `close` are optional.
 * Capability flags say what it supports, and `validateTask` enforces them with Django's rules and
 * messages, in Django's order. A custom backend is a subclass named in the configuration.
 */
export abstract class BaseTaskBackend implements ResultOwner {
  /** Tasks may set `runAfter`. */
  readonly supportsDefer: boolean = false;
  /** Tasks may be `async` functions. */
  readonly supportsAsyncTask: boolean = false;
  /** Results can be looked up by id and refreshed. */
  readonly supportsGetResult: boolean = false;
  /** Tasks may have a non-zero priority. */
  readonly supportsPriority: boolean = false;
  /**
   * Enqueues inside `withTransaction(executor, fn)` are written through the application's open
   * transaction (a `database` backend on PostgreSQL). Elsewhere such an enqueue is refused: a task
   * that ran although its transaction rolled back is the bug the scope exists to prevent.
   */
  readonly supportsTransactionalEnqueue: boolean = false;

  readonly alias: string;
  readonly queues: ReadonlySet<string>;
  readonly options: Readonly<Record<string, unknown>>;

  constructor(params: BackendParams) {
    // Django refuses to instantiate a backend without enqueue (an abstract method); JS would only
    // fail later, at the first enqueue, with "enqueue is not a function".
    if (typeof (this as { enqueue?: unknown }).enqueue !== "function") {
      throw new TypeError(`Can't instantiate backend class ${new.target.name} without an implementation of enqueue().`);
    }
    this.alias = params.alias;
    this.queues = new Set(params.queues);
    this.options = params.options;
  }

  /**
   * Checks a task against this backend (Django's `validate_task`, rules 2–7; rule 1, "exported from its
   * module", is checked by `Task.enqueue` because it needs an import).
   * @throws InvalidTask with Django's message for the first rule broken.
   */
  validateTask(task: AnyTask): void {
    if (!this.supportsTransactionalEnqueue && currentExecutor() !== undefined) {
      throw new InvalidTask(
        `${task.modulePath} was enqueued inside withTransaction(), but backend '${this.alias}' cannot write ` +
          "into the application's transaction (only a database backend with a postgres:// URL can); enqueue " +
          "it after the COMMIT, or on such a backend.",
      );
    }
    if (task.isAsync && !this.supportsAsyncTask) {
      throw new InvalidTask("Backend does not support async Tasks.");
    }
    validateContext(task);
    if (task.priority !== 0 && !this.supportsPriority) {
      throw new InvalidTask("Backend does not support setting priority of tasks.");
    }
    validatePriorityRange(task.priority);
    if (task.runAfter !== null) {
      if (!this.supportsDefer) throw new InvalidTask("Backend does not support run_after.");
      validateRunAfter(task.runAfter);
    }
    if (this.queues.size > 0 && !this.queues.has(task.queueName)) {
      // Django's sentence first, then what it leaves out: which task, which alias, which queues.
      throw new InvalidTask(
        `Queue '${task.queueName}' is not valid for backend. (task ${task.modulePath}, backend ` +
          `'${this.alias}' accepts: ${[...this.queues].join(", ")})`,
      );
    }
    validateRunOptions(task);
  }

  /** Stores a READY result for `task` and arranges for it to run. */
  abstract enqueue(task: AnyTask, args: readonly unknown[]): Promise<TaskResult>;

  /**
   * Looks a result up by id.
   * @throws TaskResultDoesNotExist when none is held; BackendNotSupported when this backend cannot look up.
   */
  getResult(id: string): Promise<TaskResult> {
    void id;
    return Promise.reject(
      new BackendNotSupported(`Backend '${this.alias}' does not support retrieving or refreshing results.`),
    );
  }

  /**
   * Resolves once the backend can run a task without starting anything first. Here at once; the
   * pool backends wait for the workers their `minWorkers` option starts with the backend, so a
   * server can `await getBackend().ready()` at boot rather than fork on its first requests.
   */
  ready(): Promise<void> {
    return Promise.resolve();
  }

  /** Releases what the backend holds (workers, connections). Safe to call twice. */
  close(options?: CloseOptions): Promise<void> {
    void options;
    return Promise.resolve();
  }

  /** @internal In-memory backends keep the live state, so refreshing is reading it again. */
  refreshState(state: ResultState): Promise<ResultState> {
    return Promise.resolve(state);
  }

  /**
   * @internal Resolves when `state` finishes; a backend that finishes its results in this process is
   * told directly by `recordSucceeded`/`recordFailed`, no polling.
   */
  waitForState(state: ResultState, signal: AbortSignal | undefined): Promise<ResultState> {
    return whenFinished(state, signal);
  }

  /**
   * Cancels a waiting (READY) result: it ends FAILED with `TaskCancelled`. Backends that run tasks
   * override this to stop running ones too.
   * @throws BackendNotSupported for a RUNNING task on a backend that cannot stop it.
   */
  cancelState(state: ResultState, reason: unknown): Promise<boolean> {
    if (isFinished(state)) return Promise.resolve(false);
    if (state.status === TaskResultStatus.RUNNING) {
      return Promise.reject(
        new BackendNotSupported(`Backend '${this.alias}' cannot cancel a running task (${state.task.modulePath}).`),
      );
    }
    recordFailed(state, cancellationError(reason), Date.now());
    return Promise.resolve(true);
  }

  /**
   * Creates the READY state for a new result: the arguments are checked against the JSON rules and
   * copied, before anything is stored or sent.
   * @throws TypeError naming the argument path that is not JSON.
   */
  protected newState(task: AnyTask, args: readonly unknown[]): ResultState {
    return new NewState(task, this, normalizeJson(args, "args") as JsonValue[]);
  }

  /**
   * Creates the READY state for a new result whose arguments `args()` gives on first demand (a pool
   * backend keeps them encoded and decodes them only if someone reads `result.args`).
   */
  protected readyState(task: AnyTask, args: () => JsonValue[]): ResultState {
    return new NewState(task, this, args);
  }

  /** The error for an id this backend does not hold. */
  protected doesNotExist(id: string): TaskResultDoesNotExist {
    return new TaskResultDoesNotExist(`Result ${JSON.stringify(id)} does not exist in backend '${this.alias}'.`);
  }
}

// One frozen empty list for every new result's errors and workerIds: they are replaced, never
// changed in place (lifecycle.ts), and two empty arrays per pending task were 64 of its bytes.
const NONE: readonly never[] = Object.freeze([]);

/**
 * A new result's state, as a class so that every state has one shape and the getter of its
 * arguments lives on the prototype (an object literal with a getter, one per enqueue, took about 4%
 * of the parent's time in a no-op flood).
 */
class NewState implements ResultState {
  readonly id: string = newResultId();
  readonly task: AnyTask;
  readonly owner: ResultOwner;
  status: TaskResultStatus = TaskResultStatus.READY;
  enqueuedAt: number = Date.now();
  startedAt: number | null = null;
  lastAttemptedAt: number | null = null;
  finishedAt: number | null = null;
  errors: readonly TaskError[] = NONE;
  workerIds: readonly string[] = NONE;
  returnValue: JsonValue | undefined = undefined;
  progress: TaskProgress | null = null;
  readonly scheduledAt: number | null;
  waiters: StateWaiters = null;
  #args: JsonValue[] | (() => JsonValue[]);

  constructor(task: AnyTask, owner: ResultOwner, args: JsonValue[] | (() => JsonValue[])) {
    this.task = task;
    this.owner = owner;
    this.scheduledAt = taggedSlot(task);
    this.#args = args;
  }

  get args(): JsonValue[] {
    if (typeof this.#args === "function") this.#args = this.#args();
    return this.#args;
  }
}
