import type BetterSqlite3 from "better-sqlite3";
import { TaskStoreError } from "../../errors.ts";
import type { TaskProgress } from "../../progress.ts";
import type { TaskError } from "../../task-error.ts";
import { claimOrder, type RawRow, toTaskRow } from "../rows.ts";
import type {
  CancelOutcome,
  Claim,
  ClaimRequest,
  Expired,
  FinishedTimes,
  ListPage,
  ListRequest,
  MinuteCount,
  NewTaskRow,
  PruneRequest,
  ReenqueueOutcome,
  RenewResult,
  Settlement,
  SlotKey,
  SqlExecutor,
  TaskRow,
  TaskStore,
} from "../store.ts";
import { FinishWakeups, pollUntilFinished } from "../wait.ts";
import type { SqliteDatabase, SqliteDriver } from "./driver.ts";
import { openSqliteFile, type SqliteOpenOptions } from "./open.ts";
import { listSql, pruneBatch, pruneCount, SQL, slotPruneBatch, slotPruneCount } from "./sql.ts";

/** Rows deleted per prune transaction: short enough that workers never wait long for the lock. */
const PRUNE_BATCH = 1000;
const LIST_CAP = 500;
const TIMINGS_CAP = 10_000;
const MINUTE = 60_000;
/** SQLite's own busy wait blocks the event loop (and so a worker's lease renewals): keep it short. */
const BLOCKING_BUSY_MS = 100;
const DECODE = { json: (v: unknown) => JSON.parse(v as string), integer: (v: unknown) => v as number };

type Row = RawRow & { seq: number; claim_token: string | null };

/**
 * The SQLite implementation of the storage seam, over one better-sqlite3 connection. The file is
 * opened, checked and migrated on first use, not at construction, so configuring a database
 * backend touches nothing. better-sqlite3 is synchronous: each method runs to completion, and
 * holds no handle that keeps Node running once it returns.
 */
export class SqliteStore implements TaskStore {
  readonly dialect = "sqlite";
  readonly location: string;
  readonly #driver: SqliteDriver;
  readonly #options: SqliteOpenOptions;
  /** The whole wait for a lock, the blocking part and the asynchronous retries together. */
  readonly #busyTimeoutMs: number;
  #db: SqliteDatabase | undefined;
  /** One reusable transaction wrapper: `db.transaction()` per call would build a new one each time. */
  #transaction: BetterSqlite3.Transaction<(fn: () => unknown) => unknown> | undefined;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  readonly #ready = new Set<() => void>();
  readonly #wakeups = new FinishWakeups();
  readonly #closed = new AbortController();

  constructor(driver: SqliteDriver, path: string, options: SqliteOpenOptions) {
    this.#driver = driver;
    this.location = path;
    this.#busyTimeoutMs = options.busyTimeoutMs;
    this.#options = { ...options, busyTimeoutMs: Math.min(options.busyTimeoutMs, BLOCKING_BUSY_MS) };
  }

  async migrate(): Promise<void> {
    await this.#run("migrate", () => undefined);
  }

  async enqueue(row: NewTaskRow, via?: SqlExecutor): Promise<TaskRow> {
    if (via !== undefined) {
      throw new TaskStoreError(`${this.location}: enqueue through an application transaction is PostgreSQL only`);
    }
    const cancelled = row.cancelled ?? null;
    // One statement in autocommit takes the write lock before it reads: no BEGIN IMMEDIATE needed.
    const raw = (await this.#run("enqueue", () =>
      this.#stmt(cancelled === null ? SQL.insert : SQL.insertCancelled).get({
        ...(cancelled === null ? {} : errorParams(cancelled)),
        ...rowParams(row),
      }),
    )) as Row;
    if (cancelled === null) this.#notifyReady();
    return toTaskRow(raw, DECODE);
  }

  async enqueueSlot(slot: SlotKey, row: NewTaskRow): Promise<TaskRow | null> {
    if (row.cancelled != null) {
      throw new TaskStoreError(`${this.location}: enqueueSlot: a slot's task cannot be born cancelled`);
    }
    const raw = (await this.#write("enqueueSlot", () => {
      const params = { name: slot.scheduleName, slotAt: slot.slotAt, id: row.id };
      if (this.#stmt(SQL.insertSlot).run(params).changes === 0) return undefined;
      return this.#stmt(SQL.insertScheduled).get({ ...rowParams(row), slotAt: slot.slotAt });
    })) as Row | undefined;
    if (raw === undefined) return null;
    this.#notifyReady();
    return toTaskRow(raw, DECODE);
  }

  async lastSlot(scheduleName: string): Promise<number | null> {
    const found = (await this.#run("lastSlot", () => this.#stmt(SQL.lastSlot).get(scheduleName))) as {
      last: number | null;
    };
    return found.last;
  }

  async get(id: string): Promise<TaskRow | null> {
    const raw = (await this.#run("get", () => this.#stmt(SQL.get).get(id))) as Row | undefined;
    return raw === undefined ? null : toTaskRow(raw, DECODE);
  }

  async claim(request: ClaimRequest): Promise<Claim[]> {
    wholeAtLeast("claim: limit", request.limit, 1);
    const all = request.queues === "*";
    const raws = (await this.#write("claim", () =>
      this.#stmt(SQL.claim).all({
        worker: request.workerId,
        leaseMs: request.leaseMs,
        all: all ? 1 : 0,
        queues: JSON.stringify(all ? [] : request.queues),
        exclude: JSON.stringify(request.excludeQueues),
        limit: request.limit,
      }),
    )) as Row[];
    return raws
      .map((raw) => ({ row: toTaskRow(raw, DECODE), seq: raw.seq, token: raw.claim_token! }))
      .sort(claimOrder)
      .map(({ row, token }) => ({ token, row }));
  }

  async renew(
    workerId: string,
    claims: ReadonlyArray<{ id: string; token: string }>,
    leaseMs: number,
  ): Promise<RenewResult> {
    if (claims.length === 0) return { lost: [], cancelRequested: [] };
    const found = await this.#write("renew", () => {
      const renew = this.#stmt(SQL.renew);
      return claims.map(
        ({ id, token }) =>
          renew.get({ id, token, worker: workerId, leaseMs }) as { cancel_requested: string | null } | undefined,
      );
    });
    const lost: string[] = [];
    const cancelRequested: { id: string; error: TaskError }[] = [];
    for (const [i, row] of found.entries()) {
      const { id } = claims[i]!;
      if (row === undefined) lost.push(id);
      else if (row.cancel_requested !== null) cancelRequested.push({ id, error: JSON.parse(row.cancel_requested) });
    }
    return { lost, cancelRequested };
  }

  async settle(settlements: readonly Settlement[]): Promise<boolean[]> {
    // The transaction may run again after SQLITE_BUSY, so it only returns what it found.
    const outcomes = await this.#write("settle", () =>
      settlements.map((s): "lost" | "finished" | "ready" => {
        const fence = { id: s.id, token: s.token };
        if (s.kind === "succeeded") {
          return this.#stmt(SQL.succeed).run({ ...fence, value: JSON.stringify(s.value) }).changes === 1
            ? "finished"
            : "lost";
        }
        const error = errorParams(s.error);
        if (s.kind === "failed") {
          return this.#stmt(SQL.fail).run({ ...fence, ...error }).changes === 1 ? "finished" : "lost";
        }
        const row = this.#stmt(SQL.retry).get({ ...fence, ...error, delayMs: s.delayMs }) as
          | { status: string }
          | undefined;
        return row === undefined ? "lost" : row.status === "READY" ? "ready" : "finished";
      }),
    );
    for (const [i, outcome] of outcomes.entries()) if (outcome === "finished") this.#wakeups.wake(settlements[i]!.id);
    if (outcomes.includes("ready")) this.#notifyReady();
    return outcomes.map((outcome) => outcome !== "lost");
  }

  async progress(id: string, token: string, progress: TaskProgress): Promise<boolean> {
    const params = { id, token, progress: JSON.stringify(progress) };
    return this.#run("progress", () => this.#stmt(SQL.progress).run(params).changes === 1);
  }

  async reapExpired(reaperId: string, leaseMs: number, limit: number): Promise<Expired[]> {
    wholeAtLeast("reapExpired: limit", limit, 1);
    // Read and take over under one write lock: no other reaper can see the same rows in between.
    const taken = await this.#write("reapExpired", () => {
      const rows = this.#stmt(SQL.expired).all({ limit }) as { seq: number; locked_by: string | null }[];
      return rows.map(({ seq, locked_by }) => ({
        raw: this.#stmt(SQL.takeOver).get({ seq, reaper: reaperId, leaseMs }) as Row,
        lostWorker: locked_by ?? "",
      }));
    });
    return taken.map(({ raw, lostWorker }) => ({
      claim: { token: raw.claim_token!, row: toTaskRow(raw, DECODE) },
      lostWorker,
    }));
  }

  async cancel(id: string, error: TaskError): Promise<CancelOutcome> {
    const outcome = await this.#write("cancel", (): CancelOutcome => {
      const params = { id, ...errorParams(error) };
      if (this.#stmt(SQL.cancelReady).run(params).changes === 1) return "cancelled";
      if (this.#stmt(SQL.cancelRunning).run({ id, error: params.error }).changes === 1) return "requested";
      return this.#stmt(SQL.exists).get(id) === undefined ? "missing" : "finished";
    });
    if (outcome === "cancelled") this.#wakeups.wake(id);
    return outcome;
  }

  async prune(request: PruneRequest): Promise<number> {
    const all = request.queues === "*";
    const params = {
      all: all ? 1 : 0,
      queues: JSON.stringify(all ? [] : request.queues),
      minAgeMs: request.minAgeMs,
      failedMinAgeMs: request.failedMinAgeMs,
    };
    return this.#prune("prune", pruneCount, pruneBatch, params, request.dryRun);
  }

  async pruneSlots(request: { readonly minAgeMs: number; readonly dryRun: boolean }): Promise<number> {
    return this.#prune("pruneSlots", slotPruneCount, slotPruneBatch, { minAgeMs: request.minAgeMs }, request.dryRun);
  }

  /** Counts with `count`, or deletes with `batch` until a batch comes back short. */
  async #prune(
    what: string,
    count: string,
    batch: string,
    params: Record<string, unknown>,
    dryRun: boolean,
  ): Promise<number> {
    if (dryRun) return ((await this.#run(what, () => this.#stmt(count).get(params))) as { count: number }).count;
    let deleted = 0;
    for (;;) {
      // A batch per transaction: the write lock is released between batches for the workers.
      const changes = await this.#write(what, () => this.#stmt(batch).run({ ...params, batch: PRUNE_BATCH }).changes);
      deleted += changes;
      if (changes < PRUNE_BATCH) return deleted;
    }
  }

  async list(request: ListRequest): Promise<ListPage> {
    wholeAtLeast("list: limit", request.limit, 1);
    const limit = Math.min(request.limit, LIST_CAP);
    if (request.after !== undefined && !/^[1-9][0-9]{0,15}$/.test(request.after)) {
      throw new RangeError(`list: after: ${JSON.stringify(request.after)} is not a cursor from a previous page`);
    }
    const sql = listSql({
      statuses: request.statuses !== undefined,
      queues: request.queues !== undefined,
      taskPath: request.taskPath !== undefined,
      idContains: request.idContains !== undefined,
      after: request.after !== undefined,
    });
    const params: Record<string, unknown> = { limit: limit + 1 };
    if (request.statuses !== undefined) params.statuses = JSON.stringify(request.statuses);
    if (request.queues !== undefined) params.queues = JSON.stringify(request.queues);
    if (request.taskPath !== undefined) params.taskPath = request.taskPath;
    if (request.idContains !== undefined) params.idContains = request.idContains;
    if (request.after !== undefined) params.after = Number(request.after);
    const raws = (await this.#run("list", () => this.#stmt(sql).all(params))) as Row[];
    const page = raws.slice(0, limit);
    const next = raws.length > limit ? String(page.at(-1)!.seq) : null;
    return { rows: page.map((raw) => toTaskRow(raw, DECODE)), next };
  }

  async counts(): Promise<ReadonlyArray<{ queueName: string; status: TaskRow["status"]; count: number }>> {
    const rows = (await this.#run("counts", () => this.#stmt(SQL.counts).all())) as {
      queue_name: string;
      status: TaskRow["status"];
      count: number;
    }[];
    return rows.map((r) => ({ queueName: r.queue_name, status: r.status, count: r.count }));
  }

  async latestChange(): Promise<number> {
    const row = (await this.#run("latestChange", () => this.#stmt(SQL.latestChange).get())) as { latest: number };
    return row.latest;
  }

  async changedSince(since: number, limit: number): Promise<TaskRow[]> {
    wholeAtLeast("changedSince: limit", limit, 1);
    const params = { since, limit: Math.min(limit, LIST_CAP) };
    const raws = (await this.#run("changedSince", () => this.#stmt(SQL.changedSince).all(params))) as Row[];
    return raws.map((raw) => toTaskRow(raw, DECODE));
  }

  async finishedPerMinute(since: number): Promise<MinuteCount[]> {
    const rows = (await this.#run("finishedPerMinute", () => this.#stmt(SQL.finishedPerMinute).all({ since }))) as {
      minute: number;
      status: MinuteCount["status"];
      count: number;
    }[];
    return rows.map((r) => ({ minute: r.minute * MINUTE, status: r.status, count: r.count }));
  }

  async finishedTimings(since: number, limit: number): Promise<FinishedTimes[]> {
    wholeAtLeast("finishedTimings: limit", limit, 1);
    const params = { since, limit: Math.min(limit, TIMINGS_CAP) };
    const rows = (await this.#run("finishedTimings", () => this.#stmt(SQL.finishedTimings).all(params))) as {
      status: FinishedTimes["status"];
      enqueued_at: number;
      started_at: number | null;
      finished_at: number;
    }[];
    return rows.map((r) => ({
      status: r.status,
      enqueuedAt: r.enqueued_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }));
  }

  async reenqueue(id: string, newId: string): Promise<ReenqueueOutcome> {
    const outcome = await this.#write("reenqueue", (): ReenqueueOutcome => {
      const raw = this.#stmt(SQL.reenqueue).get({ id, newId }) as Row | undefined;
      if (raw !== undefined) {
        this.#stmt(SQL.linkReenqueued).run({ id, newId });
        return { row: toTaskRow(raw, DECODE) };
      }
      const old = this.#stmt(SQL.reenqueueState).get(id) as
        | { status: string; reenqueued_as: string | null }
        | undefined;
      if (old === undefined) return "missing";
      return old.reenqueued_as === null ? "not-failed" : { existing: old.reenqueued_as };
    });
    if (typeof outcome === "object" && "row" in outcome) this.#notifyReady();
    return outcome;
  }

  onReady(listener: () => void): () => void {
    const entry = () => listener();
    this.#ready.add(entry);
    return () => this.#ready.delete(entry);
  }

  async waitFinished(id: string, signal?: AbortSignal): Promise<TaskRow> {
    const signals = signal === undefined ? [this.#closed.signal] : [signal, this.#closed.signal];
    return pollUntilFinished(id, (rowId) => this.get(rowId), this.#wakeups, this.location, AbortSignal.any(signals));
  }

  async close(): Promise<void> {
    if (this.#closed.signal.aborted) return;
    this.#closed.abort(new TaskStoreError(`${this.location}: the store was closed while waiting`));
    this.#statements.clear();
    this.#db?.close();
    this.#db = undefined;
  }

  /**
   * Runs `fn` on the open database (opening it first if need be). When another process holds the
   * write lock past SQLite's own short busy wait, the attempt is repeated after a jittered pause,
   * off the event loop, until `busyTimeoutMs` is spent: SQLite's busy handler is not fair, and two
   * processes committing back to back (synchronous=full) starved the other past 5 s in a test.
   * `fn` must therefore be free of side effects outside the database.
   */
  async #run<T>(operation: string, fn: (db: SqliteDatabase) => T): Promise<T> {
    const deadline = performance.now() + this.#busyTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return this.#attempt(operation, fn);
      } catch (error) {
        if (!isBusy(error) || performance.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * Math.min(50, 2 ** attempt)));
      }
    }
  }

  /** One try of `fn`, turning driver errors into TaskStoreErrors that say where. */
  #attempt<T>(operation: string, fn: (db: SqliteDatabase) => T): T {
    if (this.#closed.signal.aborted) throw new TaskStoreError(`${this.location}: ${operation}: the store is closed`);
    if (this.#db === undefined) {
      const db = openSqliteFile(this.#driver, this.location, this.#options);
      this.#transaction = db.transaction((inner: () => unknown) => inner());
      this.#db = db;
    }
    try {
      return fn(this.#db);
    } catch (error) {
      if (error instanceof TaskStoreError || error instanceof RangeError) throw error;
      const code = (error as { code?: unknown }).code;
      const suffix = typeof code === "string" ? ` (${code})` : "";
      throw new TaskStoreError(`${this.location}: ${operation}: ${(error as Error).message}${suffix}`, {
        cause: error,
      });
    }
  }

  /**
   * A write transaction, always BEGIN IMMEDIATE: a deferred one that reads first fails at once with
   * SQLITE_BUSY_SNAPSHOT when another process commits before its first write, whatever
   * busy_timeout says; IMMEDIATE waits for the write lock up front instead.
   */
  #write<T>(operation: string, fn: () => T): Promise<T> {
    return this.#run(operation, () => this.#transaction!.immediate(fn) as T);
  }

  #stmt(sql: string): BetterSqlite3.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db!.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #notifyReady(): void {
    // A listener's own fault surfaces as its own uncaught error, not as a failed enqueue.
    for (const listener of this.#ready) queueMicrotask(listener);
  }
}

/** SQLITE_BUSY and its variants, thrown by the driver or wrapped by the open. */
function isBusy(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

function rowParams(row: NewTaskRow) {
  return {
    id: row.id,
    args: JSON.stringify(row.args),
    priority: row.priority,
    taskPath: row.taskPath,
    queueName: row.queueName,
    backendName: row.backendName,
    runAfter: row.runAfter,
    maxAttempts: row.maxAttempts,
    backoffMs: row.backoffMs,
    timeoutMs: row.timeoutMs,
  };
}

function errorParams(error: TaskError): { error: string; errorClass: string; traceback: string } {
  return { error: JSON.stringify(error), errorClass: error.exceptionClassPath, traceback: error.traceback };
}

function wholeAtLeast(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${what} must be a whole number >= ${min}`);
}
