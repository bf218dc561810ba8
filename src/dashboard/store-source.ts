/**
 * The dashboard over the database backend's storage seam. NOT TESTED YET: it is written against
 * `TaskStore` (src/db/store.ts on the database branch), which this branch does not have; its tests
 * come with the database backend. `DashboardStore` below is the subset of `TaskStore` it calls,
 * spelled out so this file compiles here; a `TaskStore` satisfies it as it is.
 */
import { randomUUID } from "node:crypto";
import type { JsonValue } from "../json.ts";
import { cancellationError } from "../lifecycle.ts";
import type { TaskProgress } from "../progress.ts";
import type { TaskResultStatus } from "../result.ts";
import type { TaskError } from "../task-error.ts";
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

/** The fields of a `TaskRow` the dashboard reads. */
export interface StoreRow {
  readonly id: string;
  readonly status: TaskResultStatus;
  readonly taskPath: string;
  readonly queueName: string;
  readonly backendName: string;
  readonly priority: number;
  readonly args: JsonValue[];
  readonly enqueuedAt: number;
  readonly startedAt: number | null;
  readonly lastAttemptedAt: number | null;
  readonly finishedAt: number | null;
  readonly returnValue: JsonValue | null;
  readonly errors: readonly TaskError[];
  readonly workerIds: readonly string[];
  readonly maxAttempts: number;
  readonly backoffMs: number | null;
  readonly timeoutMs: number | null;
  readonly progress: TaskProgress | null;
}

/** The part of `TaskStore` the dashboard uses. */
export interface DashboardStore {
  list(request: {
    readonly statuses?: readonly TaskResultStatus[];
    readonly queues?: readonly string[];
    readonly taskPath?: string;
    readonly idContains?: string;
    readonly limit: number;
    readonly after?: string;
  }): Promise<{ readonly rows: readonly StoreRow[]; readonly next: string | null }>;
  counts(): Promise<ReadonlyArray<{ queueName: string; status: TaskResultStatus; count: number }>>;
  get(id: string): Promise<StoreRow | null>;
  cancel(id: string, error: TaskError): Promise<CancelOutcome>;
  enqueue(row: {
    readonly id: string;
    readonly taskPath: string;
    readonly queueName: string;
    readonly backendName: string;
    readonly priority: number;
    readonly args: readonly JsonValue[];
    readonly runAfter: number | null;
    readonly maxAttempts: number;
    readonly backoffMs: number | null;
    readonly timeoutMs: number | null;
  }): Promise<StoreRow>;
}

/** Options of `StoreSource`. */
export interface StoreSourceOptions {
  /** The backend alias shown on the page. */
  readonly backend: string;
  /**
   * How often the live feed polls while a page is open, in ms.
   * @defaultValue 1000
   */
  readonly pollMs?: number;
}

// The store caps a page at 500; the chart reads the newest two pages.
const STATS_ROWS = 1000;
const FEED_ROWS = 200;

/**
 * The dashboard over a `TaskStore`: rows written by any process, so the live feed polls the newest
 * rows and the running ones (SQLite cannot notify another process). The re-enqueue link needs a
 * column the schema does not have yet: until it does, `reenqueuedFrom`/`reenqueuedAs` stay null.
 */
export class StoreSource implements DashboardSource {
  readonly backend: string;
  readonly scope: string;
  readonly #store: DashboardStore;
  readonly #pollMs: number;

  constructor(store: DashboardStore, options: StoreSourceOptions) {
    this.#store = store;
    this.backend = options.backend;
    this.#pollMs = options.pollMs ?? 1000;
    this.scope = `rows in the database of backend '${options.backend}'`;
  }

  async counts(): Promise<DashboardCounts> {
    const rows = await this.#store.counts();
    return tallyCounts(rows.map(({ queueName, status, count }) => ({ queue: queueName, status, count })));
  }

  async list(query: ListQuery): Promise<ResultPage> {
    const page = await this.#store.list({
      ...(query.status === undefined ? {} : { statuses: [query.status] }),
      ...(query.queue === undefined ? {} : { queues: [query.queue] }),
      ...(query.task === undefined ? {} : { taskPath: query.task }),
      ...(query.idContains === undefined ? {} : { idContains: query.idContains }),
      ...(query.after === undefined ? {} : { after: query.after }),
      limit: query.limit,
    });
    return { rows: page.rows.map(toRow), next: page.next };
  }

  async detail(id: string): Promise<DashboardDetail | null> {
    const row = await this.#store.get(id);
    if (row === null) return null;
    return {
      ...toRow(row),
      args: row.args,
      returnValue: row.status === "SUCCESSFUL" ? row.returnValue : null,
      errors: row.errors,
    };
  }

  async stats(windowMinutes: number): Promise<DashboardStats> {
    const first = await this.#store.list({ limit: STATS_ROWS / 2 });
    const rest = first.next === null ? [] : (await this.#store.list({ limit: STATS_ROWS / 2, after: first.next })).rows;
    const basis = `the ${STATS_ROWS} newest ${this.scope}`;
    return computeStats([...first.rows, ...rest], Date.now(), windowMinutes, basis);
  }

  subscribe(listener: (change: DashboardChange) => void): () => void {
    const seen = new Map<string, string>();
    let primed = false;
    let busy = false;
    const poll = async () => {
      if (busy) return;
      busy = true;
      try {
        const [newest, running] = await Promise.all([
          this.#store.list({ limit: FEED_ROWS }),
          this.#store.list({ statuses: ["RUNNING"], limit: FEED_ROWS }),
        ]);
        const current = new Map<string, StoreRow>();
        for (const row of [...newest.rows, ...running.rows]) current.set(row.id, row);
        // A row that was running and is in neither list any more has finished (or been pruned).
        for (const [id, was] of seen) {
          if (was.startsWith("RUNNING") && !current.has(id)) {
            const row = await this.#store.get(id);
            if (row !== null) current.set(id, row);
            else seen.delete(id);
          }
        }
        for (const [id, row] of current) {
          const signature = `${row.status}|${row.workerIds.length}|${JSON.stringify(row.progress)}`;
          const before = seen.get(id);
          seen.set(id, signature);
          if (!primed || before === signature) continue;
          listener({ kind: changeKind(before, row), row: toRow(row) });
        }
        // Forget finished rows no longer shown, so `seen` stays as small as the two lists.
        for (const id of seen.keys()) if (!current.has(id)) seen.delete(id);
        primed = true;
      } catch (error) {
        process.emitWarning(`tasklane dashboard: polling ${this.scope} failed: ${String(error)}`);
      } finally {
        busy = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), this.#pollMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async cancel(id: string): Promise<CancelOutcome> {
    return this.#store.cancel(id, cancellationError("cancelled from the dashboard"));
  }

  async reenqueue(id: string): Promise<ReenqueueOutcome> {
    const old = await this.#store.get(id);
    if (old === null) return "missing";
    if (old.status !== "FAILED") return "not-failed";
    const row = await this.#store.enqueue({
      id: randomUUID(),
      taskPath: old.taskPath,
      queueName: old.queueName,
      backendName: old.backendName,
      priority: old.priority,
      args: old.args,
      runAfter: null,
      maxAttempts: old.maxAttempts,
      backoffMs: old.backoffMs,
      timeoutMs: old.timeoutMs,
    });
    return { id: row.id };
  }
}

function changeKind(before: string | undefined, row: StoreRow): DashboardChange["kind"] {
  if (row.status === "SUCCESSFUL" || row.status === "FAILED") return "finished";
  if (before === undefined) return row.status === "READY" ? "enqueued" : "started";
  if (row.status === "RUNNING" && !before.startsWith("RUNNING")) return "started";
  return "progress";
}

function toRow(row: StoreRow): DashboardRow {
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
    reenqueuedFrom: null,
    reenqueuedAs: null,
  };
}
