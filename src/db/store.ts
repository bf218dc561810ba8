/**
 * The database backend's storage seam: everything that touches SQL lives behind `TaskStore`, one
 * implementation per dialect (SQLite through better-sqlite3, PostgreSQL through pg). The backend
 * (enqueue, getResult, cancel, wait) and the `tasklane worker` / `prune` / `migrate` commands only
 * ever call these methods, so a dialect is an addition, not a rewrite.
 *
 * Every method is asynchronous, although better-sqlite3 is synchronous, because pg is not.
 *
 * Times are epoch milliseconds. Every time that decides something (run_after coming due, a lease
 * running out, a prune age) is compared with the DATABASE's clock inside the statement, never with
 * the caller's: workers on several machines then agree on what is due whatever their clocks say.
 * `NewTaskRow.runAfter` is the one time a caller supplies (an absolute instant it chose).
 *
 * Ordering (django-tasks-db's, kept exactly): priority descending, then run_after ascending with a
 * NULL run_after sorting after every real one (django-tasks-db stores a far-future sentinel), then
 * enqueue order (a monotonically increasing sequence column; enqueued_at milliseconds collide).
 */

import type { JsonValue } from "../json.ts";
import type { TaskProgress } from "../progress.ts";
import type { TaskResultStatus } from "../result.ts";
import type { TaskError } from "../task-error.ts";

/** What enqueue writes. Arguments are already validated and normalised by the JSON rules. */
export interface NewTaskRow {
  /** A UUID made by the caller (so the caller can log it before the insert returns). */
  readonly id: string;
  /** The task's module path: `moduleUrl#exportName`. */
  readonly taskPath: string;
  readonly queueName: string;
  /** The configuration alias the task was enqueued through (django-tasks-db's backend_name). */
  readonly backendName: string;
  /** -100..100 (a CHECK constraint enforces it too). */
  readonly priority: number;
  readonly args: readonly JsonValue[];
  /** Earliest start, or null for "as soon as possible". */
  readonly runAfter: number | null;
  /** Attempts in all, the first included (>= 1). */
  readonly maxAttempts: number;
  /** A fixed backoff in ms, or null: the worker uses the task definition's backoff (which may be a function). */
  readonly backoffMs: number | null;
  /** The attempt's time limit in ms, or null for none. */
  readonly timeoutMs: number | null;
  /** Set when the task was cancelled before it was stored: the row is born FAILED with this error. */
  readonly cancelled?: TaskError | null;
}

/** One row of the results table. */
export interface TaskRow {
  readonly id: string;
  readonly status: TaskResultStatus;
  readonly taskPath: string;
  readonly queueName: string;
  readonly backendName: string;
  readonly priority: number;
  readonly args: JsonValue[];
  readonly enqueuedAt: number;
  /** When the first attempt was claimed. */
  readonly startedAt: number | null;
  /** When the latest attempt was claimed. */
  readonly lastAttemptedAt: number | null;
  readonly finishedAt: number | null;
  readonly runAfter: number | null;
  /** The return value when SUCCESSFUL, else null. */
  readonly returnValue: JsonValue | null;
  /** One per failed attempt, oldest first (lost attempts included, as `WorkerLost`). */
  readonly errors: readonly TaskError[];
  /** One per attempt a worker started (lost ones included): its length is the attempt count. */
  readonly workerIds: readonly string[];
  readonly maxAttempts: number;
  readonly backoffMs: number | null;
  readonly timeoutMs: number | null;
  readonly progress: TaskProgress | null;
  /** The worker holding the lease of the running attempt, else null. */
  readonly lockedBy: string | null;
  /** When that lease runs out (database clock), else null. */
  readonly leaseExpiresAt: number | null;
  /** Set when a cancel was asked for while the task ran: the error it is to end with. */
  readonly cancelRequested: TaskError | null;
  /**
   * When the row last changed in a way a result shows (enqueued, claimed, progress, settled,
   * cancelled, re-enqueued; not a lease renewal), on the database's clock: the dashboard's watermark.
   */
  readonly changedAt: number;
  /** The FAILED row this one re-enqueues (the dashboard's re-enqueue action), else null. */
  readonly reenqueuedFrom: string | null;
  /** The row made by re-enqueuing this one, else null. */
  readonly reenqueuedAs: string | null;
  /** The due time of the schedule slot the row was enqueued for (`enqueueSlot`), else null. */
  readonly scheduledAt: number | null;
}

/** One slot of a periodic task: the schedule's stable name and the slot's due time. */
export interface SlotKey {
  readonly scheduleName: string;
  readonly slotAt: number;
}

/** What a worker asks for when it has free child workers. */
export interface ClaimRequest {
  /** Recorded in `workerIds` and `lockedBy`. Non-empty, at most 64 characters. */
  readonly workerId: string;
  /** Queues to take from, or "*" for every queue. */
  readonly queues: readonly string[] | "*";
  /** Queues never to take from (with "*"). */
  readonly excludeQueues: readonly string[];
  /** At most this many rows (the worker's free capacity for these queues). >= 1. */
  readonly limit: number;
  /** The lease each claimed row gets, from the database's now. */
  readonly leaseMs: number;
}

/**
 * A claimed attempt. `token` fences everything the worker does with it: a completion, a renewal or
 * a progress write counts only while the row still carries this token (another worker that
 * reclaimed the row after the lease ran out replaced it).
 */
export interface Claim {
  readonly token: string;
  /** The row as it is after the claim: RUNNING, this worker appended to workerIds. */
  readonly row: TaskRow;
}

/** How a claimed attempt ended, as the worker records it. */
export type Settlement =
  | { readonly id: string; readonly token: string; readonly kind: "succeeded"; readonly value: JsonValue }
  | { readonly id: string; readonly token: string; readonly kind: "failed"; readonly error: TaskError }
  | {
      readonly id: string;
      readonly token: string;
      readonly kind: "retry";
      readonly error: TaskError;
      /** READY again, not before the database's now + this. */
      readonly delayMs: number;
    };

/** What a lease renewal learned. */
export interface RenewResult {
  /** Claims no longer held (the row was reclaimed or finished elsewhere): stop and forget them. */
  readonly lost: readonly string[];
  /** Claims whose task was asked to stop: the error each is to end with. */
  readonly cancelRequested: ReadonlyArray<{ readonly id: string; readonly error: TaskError }>;
}

/** A RUNNING row whose lease ran out, now held by the reaper under a fresh token. */
export interface Expired {
  readonly claim: Claim;
  /** The worker that lost it (the row's `lockedBy` before the takeover). */
  readonly lostWorker: string;
}

/** What `cancel()` found and did. */
export type CancelOutcome =
  /** It was READY: now FAILED with the error, at once. */
  | "cancelled"
  /** It is RUNNING: the error is recorded as requested; its worker stops it and records it. */
  | "requested"
  /** It had already finished; nothing changed. */
  | "finished"
  /** No such row. */
  | "missing";

/** Which finished rows `prune` deletes. */
export interface PruneRequest {
  readonly queues: readonly string[] | "*";
  /** SUCCESSFUL rows whose finished_at is at least this old (ms, database clock). */
  readonly minAgeMs: number;
  /** FAILED rows whose finished_at is at least this old. */
  readonly failedMinAgeMs: number;
  /** Count only. */
  readonly dryRun: boolean;
}

/** A filter of `list()`; every field narrows. */
export interface ListRequest {
  readonly statuses?: readonly TaskResultStatus[];
  readonly queues?: readonly string[];
  /** Exact module path. */
  readonly taskPath?: string;
  /** Substring of the id. */
  readonly idContains?: string;
  /** Newest first; at most this many (the store caps it at 500). */
  readonly limit: number;
  /** Continue after this cursor (from the previous page's `next`). */
  readonly after?: string;
}

/** What `reenqueue()` found and did. */
export type ReenqueueOutcome =
  /** The new READY row, linked both ways to the FAILED one. */
  | { readonly row: TaskRow }
  /** It was re-enqueued before: the row made then (one FAILED row is re-enqueued at most once). */
  | { readonly existing: string }
  /** It is not FAILED (nothing was written). */
  | "not-failed"
  /** No such row. */
  | "missing";

/** How many rows finished in one minute with one status. */
export interface MinuteCount {
  /** The minute's start, epoch ms (a multiple of 60 000). */
  readonly minute: number;
  readonly status: "SUCCESSFUL" | "FAILED";
  readonly count: number;
}

/** The times of one finished row, for wait and run time figures. */
export interface FinishedTimes {
  readonly status: "SUCCESSFUL" | "FAILED";
  readonly enqueuedAt: number;
  /** Null when it was cancelled before any attempt. */
  readonly startedAt: number | null;
  readonly finishedAt: number;
}

/** A page of `list()`. */
export interface ListPage {
  readonly rows: readonly TaskRow[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

/**
 * Runs SQL inside a transaction the application owns (PostgreSQL), e.g. a `pg` Client or
 * PoolClient between its BEGIN and COMMIT: a task enqueued through it becomes visible to workers
 * (and its notification is delivered) only when that transaction commits. `pg` clients satisfy it
 * as they are; Kysely, Drizzle or Prisma transactions fit through a two-line adapter.
 */
export interface SqlExecutor {
  query(text: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** The storage seam. See the file comment for the rules every implementation keeps. */
export interface TaskStore {
  readonly dialect: "sqlite" | "postgres";
  /** Where the data lives, for messages: the file path, or the URL without its password. */
  readonly location: string;

  /**
   * Brings the schema up to date: numbered steps recorded in a migrations table, all under one
   * lock, so two processes starting at once both succeed. A database whose schema is newer than
   * this tasklane knows is refused with a message naming both versions.
   * @throws TaskStoreError naming `location` when the database cannot be opened or is not a
   *   tasklane database (then nothing in it, or beside it, was changed).
   */
  migrate(): Promise<void>;

  /** Inserts a READY row; `enqueuedAt` comes from the database. Through `via` when given (PostgreSQL only). */
  enqueue(row: NewTaskRow, via?: SqlExecutor): Promise<TaskRow>;

  /**
   * Enqueues the task of one schedule slot, exactly once across every process on the database: one
   * write transaction (SQLite: BEGIN IMMEDIATE) inserts the slot under the slots table's unique key
   * (schedule name, slot time) with `INSERT … SELECT … WHERE NOT EXISTS (a slot at or after it)
   * ON CONFLICT DO NOTHING`, and, only when that inserted a row, the READY task row, its
   * `scheduledAt` set to the slot. A crash in between leaves neither. Resolves null, having written
   * nothing, when the slot or a later slot of the schedule is already recorded.
   */
  enqueueSlot(slot: SlotKey, row: NewTaskRow): Promise<TaskRow | null>;

  /** The latest slot recorded for the schedule, or null when none is. */
  lastSlot(scheduleName: string): Promise<number | null>;

  /** The row, or null for an unknown or malformed id. */
  get(id: string): Promise<TaskRow | null>;

  /**
   * Claims up to `limit` due READY rows in claim order, in one write transaction (SQLite: BEGIN
   * IMMEDIATE; PostgreSQL: one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`):
   * each becomes RUNNING with startedAt (first attempt) and lastAttemptedAt set to the database's
   * now, the worker appended to workerIds, a lease and a fresh token. A row is never claimed twice.
   */
  claim(request: ClaimRequest): Promise<Claim[]>;

  /** Extends the leases of the claims still held; reports lost ones and cancel requests. */
  renew(workerId: string, claims: ReadonlyArray<{ id: string; token: string }>, leaseMs: number): Promise<RenewResult>;

  /**
   * Records how attempts ended, in one transaction: SUCCESSFUL (value), FAILED (error appended,
   * finishedAt set) or READY again (error appended, run_after = now + delayMs). Each is fenced by
   * its token: the result says, per settlement in order, whether it was recorded (false: the claim
   * was lost and the row belongs to someone else now). The lease fields are cleared.
   */
  settle(settlements: readonly Settlement[]): Promise<boolean[]>;

  /** Stores the running attempt's latest progress (fenced); false when the claim was lost. */
  progress(id: string, token: string, progress: TaskProgress): Promise<boolean>;

  /**
   * Takes over up to `limit` RUNNING rows whose lease ran out (database clock), atomically, under
   * fresh tokens and a lease of `leaseMs` held by `reaperId`, without adding an attempt. The caller
   * then settles each (a `WorkerLost` error: retry or fail). Safe to run in every worker at once.
   */
  reapExpired(reaperId: string, leaseMs: number, limit: number): Promise<Expired[]>;

  /** Cancels: READY → FAILED with `error` at once; RUNNING → the request is recorded (see CancelOutcome). */
  cancel(id: string, error: TaskError): Promise<CancelOutcome>;

  /** Deletes (or with dryRun counts) finished rows older than the ages, in batches; never READY or RUNNING rows. */
  prune(request: PruneRequest): Promise<number>;

  /**
   * Deletes (or with dryRun counts) schedule slot records at least `minAgeMs` old (database clock),
   * in batches, but never a schedule's latest: only the latest decides whether a slot is taken
   * (`enqueueSlot` refuses it and every earlier one), so the others are history. Without this a
   * schedule that fires every minute would add half a million rows a year.
   */
  pruneSlots(request: { readonly minAgeMs: number; readonly dryRun: boolean }): Promise<number>;

  /** Rows newest first, filtered and paginated (for the dashboard and tests). */
  list(request: ListRequest): Promise<ListPage>;

  /** How many rows per (queue, status). */
  counts(): Promise<ReadonlyArray<{ queueName: string; status: TaskResultStatus; count: number }>>;

  /**
   * The newest `changedAt` of any row (0 when there is none): the dashboard's live feed asks this
   * cheap question every poll, and reads rows only when the answer moved (or is under a second
   * old: a second change in the same millisecond leaves it as it was).
   */
  latestChange(): Promise<number>;

  /**
   * Rows whose `changedAt` is at or after `since`, oldest change first, at most `limit` (capped at
   * 500): the live feed passes the last `changedAt` it saw and drops rows it already saw in the
   * same state. The feed relies on rows becoming visible in `changedAt` order: true of SQLite,
   * whose writers take turns; a dialect whose writers commit concurrently must keep it too (or
   * the feed misses a change until the row changes again; the page's own refresh still shows it).
   */
  changedSince(since: number, limit: number): Promise<TaskRow[]>;

  /** Rows finished at or after `since`, counted per minute (of `finishedAt`) and status, oldest minute first. */
  finishedPerMinute(since: number): Promise<MinuteCount[]>;

  /** The times of the newest `limit` (capped at 10 000) rows finished at or after `since`, newest first. */
  finishedTimings(since: number, limit: number): Promise<FinishedTimes[]>;

  /**
   * Enqueues a FAILED row's task again, in one transaction: a new READY row `newId` with the same
   * task, queue, priority, arguments and attempt options (run_after cleared), whose `reenqueuedFrom`
   * names the old row, and the old row's `reenqueuedAs` set to it. A FAILED row is re-enqueued at
   * most once (two clicks make one row); re-enqueue the new row if it fails too.
   */
  reenqueue(id: string, newId: string): Promise<ReenqueueOutcome>;

  /**
   * Calls `listener` when rows may have become ready (an enqueue or a retry committed), so a worker
   * can claim without waiting for its next poll. PostgreSQL: LISTEN/NOTIFY on one dedicated
   * connection. SQLite: only for enqueues made through this same store object (other processes
   * cannot signal; their workers poll). Returns the unsubscribe function.
   */
  onReady(listener: () => void): () => void;

  /**
   * Resolves with the row once it is finished (SUCCESSFUL or FAILED). PostgreSQL: woken by a
   * notification, with a slow poll as a backstop; SQLite: polls with a short, growing interval.
   * Rejects with the signal's reason when it aborts; with TaskStoreError if the row disappears.
   */
  waitFinished(id: string, signal?: AbortSignal): Promise<TaskRow>;

  /** Closes connections and timers; idempotent. A store holds no ref'd handle while idle. */
  close(): Promise<void>;
}
