import { randomUUID } from "node:crypto";
import type { TaskRow, TaskStore } from "../db/store.ts";
import { cancellationError } from "../lifecycle.ts";
import { tallyCounts } from "./counts.ts";
import type {
  CancelOutcome,
  DashboardChange,
  DashboardCounts,
  DashboardDetail,
  DashboardRow,
  DashboardSource,
  DashboardStats,
  ListQuery,
  ReenqueueOutcome,
  ResultPage,
} from "./source.ts";
import { computeStats } from "./stats.ts";

/** Options of `StoreSource`. */
export interface StoreSourceOptions {
  /** The backend alias shown on the page. */
  readonly backend: string;
  /**
   * How often the live feed asks the database for its latest change while a page is open, in ms.
   * @defaultValue 500
   */
  readonly pollMs?: number;
}

// More rows than the SSE hub sends one by one (200): a full poll makes the page reload its list.
const FEED_ROWS = 500;
// The wait and run time figures read at most this many of the rows finished in the window.
const TIMING_ROWS = 10_000;
const MINUTE = 60_000;
// How long after a change the feed still reads the rows at its watermark on every poll.
const SETTLED_MS = 1000;

/**
 * The dashboard over the database backend's `TaskStore`: the rows of every process on that
 * database. The store is opened on first use. Live updates come from polling, because SQLite cannot
 * notify another process: while a page is open, every `pollMs` one indexed `max(changed_at)` query
 * asks whether anything changed, and only when it did (or the last change is under a second old)
 * are the rows changed since the watermark read.
 */
export class StoreSource implements DashboardSource {
  readonly backend: string;
  readonly scope: string;
  readonly #store: () => Promise<TaskStore>;
  readonly #pollMs: number;

  constructor(store: () => Promise<TaskStore>, options: StoreSourceOptions) {
    this.#store = store;
    this.backend = options.backend;
    this.#pollMs = options.pollMs ?? 500;
    this.scope = `every row in the database of backend '${options.backend}'`;
  }

  async counts(): Promise<DashboardCounts> {
    const rows = await (await this.#store()).counts();
    return tallyCounts(rows.map(({ queueName, status, count }) => ({ queue: queueName, status, count })));
  }

  async list(query: ListQuery): Promise<ResultPage> {
    const page = await (await this.#store()).list({
      ...(query.status === undefined ? {} : { statuses: [query.status] }),
      ...(query.queue === undefined ? {} : { queues: [query.queue] }),
      ...(query.task === undefined ? {} : { taskPath: query.task }),
      ...(query.idContains === undefined ? {} : { idContains: query.idContains }),
      // The store's cursor is a number; anything else is no page of it.
      ...(query.after === undefined ? {} : { after: /^[1-9][0-9]{0,15}$/.test(query.after) ? query.after : "1" }),
      limit: query.limit,
    });
    return { rows: page.rows.map(toRow), next: page.next };
  }

  async detail(id: string): Promise<DashboardDetail | null> {
    const row = await (await this.#store()).get(id);
    if (row === null) return null;
    return {
      ...toRow(row),
      args: row.args,
      returnValue: row.status === "SUCCESSFUL" ? row.returnValue : null,
      errors: row.errors,
    };
  }

  async stats(windowMinutes: number): Promise<DashboardStats> {
    const store = await this.#store();
    const now = Date.now();
    const since = Math.floor(now / MINUTE) * MINUTE - (windowMinutes - 1) * MINUTE;
    const [perMinute, timings] = await Promise.all([
      store.finishedPerMinute(since),
      store.finishedTimings(since, TIMING_ROWS),
    ]);
    const basis = `counts: ${this.scope}; times: the ${TIMING_ROWS} latest finished at most`;
    const stats = computeStats(timings, now, windowMinutes, basis);
    // The counts come from the database's own tally, exact however many rows finished.
    const exact = new Map(perMinute.map((m) => [`${m.minute}|${m.status}`, m.count]));
    const minutes = stats.minutes.map((m) => ({
      ...m,
      succeeded: exact.get(`${m.start}|SUCCESSFUL`) ?? 0,
      failed: exact.get(`${m.start}|FAILED`) ?? 0,
    }));
    return { ...stats, minutes };
  }

  subscribe(listener: (change: DashboardChange) => void): () => void {
    const feed = new ChangeFeed(this.#store, listener, this.scope);
    void feed.poll();
    const timer = setInterval(() => void feed.poll(), this.#pollMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** READY: FAILED at once; RUNNING: requested, and the worker running it stops it within its lease renewal. */
  async cancel(id: string): Promise<CancelOutcome> {
    return (await this.#store()).cancel(id, cancellationError("cancelled from the dashboard"));
  }

  /** A new READY row linked to the FAILED one; a second re-enqueue of the same row gives the first one's. */
  async reenqueue(id: string): Promise<ReenqueueOutcome> {
    const outcome = await (await this.#store()).reenqueue(id, randomUUID());
    if (typeof outcome === "string") return outcome;
    return { id: "row" in outcome ? outcome.row.id : outcome.existing };
  }
}

/**
 * One page's (or several pages') poll of the store: a watermark (the latest `changedAt` handled)
 * and what was reported for the rows changed at exactly that time, which the next read returns again.
 */
class ChangeFeed {
  readonly #store: () => Promise<TaskStore>;
  readonly #listener: (change: DashboardChange) => void;
  readonly #scope: string;
  #mark: number | null = null;
  #latest = -1;
  #busy = false;
  /** id → what was reported, for rows changed at or after the watermark. */
  readonly #seen = new Map<string, { signature: string; at: number }>();

  constructor(store: () => Promise<TaskStore>, listener: (change: DashboardChange) => void, scope: string) {
    this.#store = store;
    this.#listener = listener;
    this.#scope = scope;
  }

  async poll(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const store = await this.#store();
      const latest = await store.latestChange();
      if (this.#mark === null) {
        // The first poll only sets the watermark (the page has just read everything itself), and
        // notes the rows at it, which the next read returns again.
        for (const row of await store.changedSince(latest, FEED_ROWS)) this.#seen.set(row.id, seen(row));
        this.#mark = latest;
        this.#latest = latest;
        return;
      }
      // Nothing moved, and the watermark is old enough that no write stamped with it can still be
      // on its way. A younger one is read again: a change committed in the same millisecond as the
      // last one seen leaves max(changed_at) as it was.
      if (latest === this.#latest && Date.now() - latest > SETTLED_MS) return;
      const rows = await store.changedSince(this.#mark, FEED_ROWS);
      for (const row of rows) this.#report(row);
      const last = rows.at(-1);
      if (rows.length < FEED_ROWS) {
        this.#latest = latest;
        if (last !== undefined) this.#mark = last.changedAt;
      } else {
        // A full read: go on from its last change next time (past it, when a single millisecond
        // filled the read: the page reloads its list after a full batch anyway).
        this.#mark = last!.changedAt === this.#mark ? this.#mark + 1 : last!.changedAt;
      }
      for (const [id, { at }] of this.#seen) if (at < this.#mark) this.#seen.delete(id);
    } catch (error) {
      process.emitWarning(`tasklane dashboard: polling ${this.#scope} failed: ${String(error)}`);
    } finally {
      this.#busy = false;
    }
  }

  #report(row: TaskRow): void {
    const now = seen(row);
    const before = this.#seen.get(row.id);
    this.#seen.set(row.id, now);
    if (before?.signature === now.signature) return;
    this.#listener({ kind: changeKind(row), row: toRow(row) });
  }
}

/** What the feed remembers of a row it reported: what the page shows of it, and when it changed. */
function seen(row: TaskRow): { signature: string; at: number } {
  return {
    signature: `${row.status}|${row.workerIds.length}|${row.reenqueuedAs}|${JSON.stringify(row.progress)}`,
    at: row.changedAt,
  };
}

function changeKind(row: TaskRow): DashboardChange["kind"] {
  if (row.status === "SUCCESSFUL" || row.status === "FAILED") return "finished";
  if (row.status === "RUNNING") return row.progress === null ? "started" : "progress";
  return row.workerIds.length === 0 ? "enqueued" : "progress";
}

function toRow(row: TaskRow): DashboardRow {
  const last = row.errors.at(-1);
  const hash = row.taskPath.lastIndexOf("#");
  return {
    id: row.id,
    task: row.taskPath,
    name: hash >= 0 ? row.taskPath.slice(hash + 1) : row.taskPath,
    queue: row.queueName,
    backend: row.backendName,
    priority: row.priority,
    status: row.status,
    enqueuedAt: row.enqueuedAt,
    startedAt: row.startedAt,
    lastAttemptedAt: row.lastAttemptedAt,
    finishedAt: row.finishedAt,
    attempts: row.workerIds.length,
    maxAttempts: row.maxAttempts,
    workerIds: row.workerIds,
    progress: row.progress,
    lastError: last === undefined ? null : { exceptionClassPath: last.exceptionClassPath, message: last.message },
    reenqueuedFrom: row.reenqueuedFrom,
    reenqueuedAs: row.reenqueuedAs,
  };
}
