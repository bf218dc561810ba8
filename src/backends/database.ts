import { StoreSource } from "../dashboard/store-source.ts";
import { openStore } from "../db/open-store.ts";
import { DatabaseSlotLedger, SlotTaken } from "../db/slot-ledger.ts";
import type { NewTaskRow, TaskRow, TaskStore } from "../db/store.ts";
import { currentExecutor } from "../db/transaction.ts";
import { BackendClosed, InvalidTask, PayloadTooLarge } from "../errors.ts";
import { type JsonValue, normalizeJson } from "../json.ts";
import { cancellationError, recordEnqueued } from "../lifecycle.ts";
import { activeLogger } from "../log.ts";
import { type ResultState, TaskResult, TaskResultStatus } from "../result.ts";
import { newResultId } from "../result-id.ts";
import type { SlotLedger } from "../schedules/ledger.ts";
import { type SlotTag, slotTagOf } from "../schedules/slot-tag.ts";
import type { AnyTask } from "../task.ts";
import { loadTask, splitModulePath } from "../task-loader.ts";
import { type BackendParams, BaseTaskBackend, type CloseOptions } from "./base.ts";
import { type DatabaseOptions, readDatabaseOptions } from "./database-options.ts";
import { SignalWatch } from "./signal-watch.ts";

/**
 * Keeps every result as a row in a database (SQLite, embedded; or PostgreSQL, for several machines)
 * and leaves running the tasks to `tasklane worker` processes, which claim the rows and run them
 * in their own process pools. Results survive restarts of the app and of the workers, and any
 * process on the same database can look them up, refresh, wait for and cancel them.
 *
 * `enqueue` writes the row and returns at once (READY); nothing runs in the enqueuing process.
 */
export class DatabaseBackend extends BaseTaskBackend {
  override readonly supportsDefer: boolean = true;
  override readonly supportsAsyncTask: boolean = true;
  override readonly supportsGetResult: boolean = true;
  override readonly supportsPriority: boolean = true;
  /** PostgreSQL only: see `withTransaction`. */
  override readonly supportsTransactionalEnqueue: boolean;

  /** Where the rows live (`options.url`). */
  readonly url: string;
  /** How long a claimed row stays leased without a renewal. */
  readonly leaseMs: number;
  /** @internal The checked options, for `tasklane worker`. */
  readonly settings: DatabaseOptions;

  #store: Promise<TaskStore> | null = null;
  #ledger: SlotLedger | null = null;
  #closed = false;
  /** Tasks loaded from rows' module paths, by path: getResult in another process needs them. */
  readonly #tasks = new Map<string, Promise<AnyTask>>();
  /**
   * One listener per `using({ signal })` signal. The result finishes in a worker process, so nothing
   * here learns when to let go: a result stays watched until its signal aborts or the backend closes
   * (cancelling a finished row is a no-op).
   */
  readonly #signals = new SignalWatch((state, reason) => void this.cancelState(state, reason).catch(() => {}));

  /** Who is told of the store's connection events (a worker logs them); with nobody, tasklane's logger. */
  readonly #storeListeners = new Set<(message: string) => void>();

  constructor(params: BackendParams) {
    super(params);
    this.settings = readDatabaseOptions(params.alias, params.options);
    this.url = this.settings.url;
    this.leaseMs = this.settings.leaseMs;
    this.supportsTransactionalEnqueue = /^postgres(ql)?:\/\//i.test(this.url);
  }

  /**
   * The store, opened and migrated on first use (once per backend instance).
   * @throws TaskStoreError naming the database when it cannot be opened or is not tasklane's.
   */
  store(): Promise<TaskStore> {
    if (this.#closed) return Promise.reject(new BackendClosed(`Backend '${this.alias}' is closed.`));
    const { synchronous, schema, poolSize } = this.settings;
    const onEvent = (event: { readonly message: string }) => {
      if (this.#storeListeners.size === 0) activeLogger()?.error(event.message);
      for (const listener of this.#storeListeners) listener(event.message);
    };
    this.#store ??= openStore(this.url, { synchronous, schema, poolSize, onEvent }).then(async (store) => {
      try {
        await store.migrate();
        return store;
      } catch (error) {
        await store.close();
        throw error;
      }
    });
    // A failed open is not cached: the file may be fixed, the server may come back.
    this.#store.catch(() => {
      this.#store = null;
    });
    return this.#store;
  }

  /**
   * @internal Tells `listener` what the store says about its connections (PostgreSQL: lost, and
   * back after how long), instead of tasklane's logger. Returns the unsubscribe function.
   */
  onStoreEvent(listener: (message: string) => void): () => void {
    this.#storeListeners.add(listener);
    return () => this.#storeListeners.delete(listener);
  }

  override async enqueue(task: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    if (this.#closed) {
      throw new BackendClosed(`Backend '${this.alias}' is closed; ${task.modulePath} was not enqueued.`);
    }
    const normalized = normalizeJson(args, "args") as JsonValue[];
    const bytes = Buffer.byteLength(JSON.stringify(normalized));
    if (bytes > this.settings.maxPayloadBytes) {
      throw new PayloadTooLarge(
        `The arguments of ${task.modulePath} are ${bytes} bytes as JSON, over maxPayloadBytes ` +
          `(${this.settings.maxPayloadBytes}) of backend '${this.alias}': pass a reference to the data (a path, a URL, a key) instead.`,
      );
    }
    const row: NewTaskRow = {
      id: newResultId(),
      taskPath: task.modulePath,
      queueName: task.queueName,
      backendName: this.alias,
      priority: task.priority,
      args: normalized,
      runAfter: task.runAfter === null ? null : task.runAfter.getTime(),
      maxAttempts: task.maxAttempts,
      backoffMs: await this.#storableBackoff(task),
      timeoutMs: task.timeoutMs,
      // Already aborted: stored FAILED in the same statement, or a worker could claim it first.
      cancelled: task.signal?.aborted ? cancellationError(task.signal.reason) : null,
    };
    const store = await this.store();
    const slot = slotTagOf(task);
    const stored =
      slot === null ? await store.enqueue(row, currentExecutor()) : await this.#enqueueSlot(store, slot, row);
    const state = this.stateOf(stored, task);
    recordEnqueued(state);
    const signal = task.signal;
    if (signal !== null && !signal.aborted) this.#signals.watch(signal, state);
    return new TaskResult(state);
  }

  /**
   * The slots table of this database: schedules evaluated by any number of `tasklane worker`
   * processes (or `startSchedules()` calls) on it enqueue every slot once.
   */
  slotLedger(): SlotLedger {
    this.#ledger ??= new DatabaseSlotLedger(() => this.store());
    return this.#ledger;
  }

  override async getResult(id: string): Promise<TaskResult> {
    const row = await (await this.store()).get(id);
    if (row === null) throw this.doesNotExist(id);
    return new TaskResult(this.stateOf(row, await this.taskOf(row)));
  }

  /** @internal Reads the row again. */
  override async refreshState(state: ResultState): Promise<ResultState> {
    const row = await (await this.store()).get(state.id);
    if (row === null) throw this.doesNotExist(state.id);
    return this.stateOf(row, state.task);
  }

  /** @internal Resolves once the row is finished, whoever finishes it. */
  override async waitForState(state: ResultState, signal: AbortSignal | undefined): Promise<ResultState> {
    const row = await (await this.store()).waitFinished(state.id, signal);
    return this.stateOf(row, state.task);
  }

  /**
   * Cancels from any process: a READY row ends FAILED `TaskCancelled` at once; a RUNNING one is
   * stopped by the worker running it (within its lease renewal interval, then its cancel grace),
   * and this resolves once it has ended.
   */
  override async cancelState(state: ResultState, reason: unknown): Promise<boolean> {
    const store = await this.store();
    const outcome = await store.cancel(state.id, cancellationError(reason));
    if (outcome === "missing") throw this.doesNotExist(state.id);
    if (outcome === "finished") return false;
    if (outcome === "requested") await store.waitFinished(state.id);
    return true;
  }

  /**
   * What `tasklane dashboard` (and `dashboardHandler`) show for this backend: every row in its
   * database, whichever process enqueued or ran it, read through this backend's store.
   */
  dashboardSource(): StoreSource {
    return new StoreSource(() => this.store(), { backend: this.alias });
  }

  /** Closes the connection (the rows stay). Safe to call twice. */
  override async close(options?: CloseOptions): Promise<void> {
    void options;
    this.#closed = true;
    const store = this.#store;
    this.#store = null;
    if (store !== null)
      await store.then(
        (s) => s.close(),
        () => {},
      );
  }

  /**
   * @internal The task a row was enqueued as: its definition, loaded by module path, with the
   * row's own options applied (as django-tasks-db rebuilds `task.using(…)` from the row).
   */
  async taskOf(row: TaskRow): Promise<AnyTask> {
    let definition = this.#tasks.get(row.taskPath);
    if (definition === undefined) {
      const { moduleUrl, exportName } = splitModulePath(row.taskPath);
      definition = loadTask(moduleUrl, exportName);
      this.#tasks.set(row.taskPath, definition);
      definition.catch(() => this.#tasks.delete(row.taskPath));
    }
    const task = await definition;
    try {
      return task.using({
        priority: row.priority,
        queueName: row.queueName,
        backend: this.alias,
        runAfter: row.runAfter === null ? null : new Date(row.runAfter),
        timeoutMs: row.timeoutMs,
        maxAttempts: row.maxAttempts,
        ...(row.backoffMs === null ? {} : { backoff: row.backoffMs }),
      });
    } catch {
      // The configuration changed since the row was written (its queue is gone, say): the result
      // is still readable, as the task's definition.
      return task;
    }
  }

  /** @internal A ResultState snapshot of a row. */
  stateOf(row: TaskRow, task: AnyTask): ResultState {
    return {
      id: row.id,
      task,
      args: row.args,
      owner: this,
      status: row.status,
      enqueuedAt: row.enqueuedAt,
      startedAt: row.startedAt,
      lastAttemptedAt: row.lastAttemptedAt,
      finishedAt: row.finishedAt,
      errors: row.errors,
      workerIds: row.workerIds,
      returnValue: row.status === TaskResultStatus.SUCCESSFUL ? row.returnValue : undefined,
      progress: row.progress,
      scheduledAt: row.scheduledAt,
    };
  }

  async #enqueueSlot(store: TaskStore, slot: SlotTag, row: NewTaskRow): Promise<TaskRow> {
    const stored = await store.enqueueSlot({ scheduleName: slot.schedule, slotAt: slot.at }, row);
    if (stored === null) {
      throw new SlotTaken(
        `Schedule '${slot.schedule}': the slot due ${new Date(slot.at).toISOString()} is already enqueued.`,
      );
    }
    return stored;
  }

  /**
   * The backoff as the row can hold it: milliseconds, or null for "the definition's". A function
   * set with `using()` lives only in this process, and a worker elsewhere could not apply it.
   */
  async #storableBackoff(task: AnyTask): Promise<number | null> {
    if (typeof task.backoff === "number") return task.backoff;
    const definition = await loadTask(task.moduleUrl, task.name);
    if (definition.backoff === task.backoff) return null;
    throw new InvalidTask(
      `backoff: a function given with using() cannot be stored by backend '${this.alias}' (database) for ` +
        `${task.modulePath}; set it in the task's definition, or pass milliseconds.`,
    );
  }
}
