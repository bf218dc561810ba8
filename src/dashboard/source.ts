/**
 * What the dashboard reads and does, whatever holds the results: one implementation over the
 * in-memory backends (`MemorySource`), one over the database backend's `TaskStore` (`StoreSource`).
 * Every value is plain JSON, so the HTTP layer sends it as it is. Times are epoch milliseconds.
 */
import type { JsonValue } from "../json.ts";
import type { TaskProgress } from "../progress.ts";
import type { TaskResultStatus } from "../result.ts";
import type { TaskError } from "../task-error.ts";

/** The most rows one page may hold, whatever a request asks for. */
export const MAX_PAGE_SIZE = 200;
/** Rows per page when a request does not say. */
export const DEFAULT_PAGE_SIZE = 50;

/** One result as the list shows it. */
export interface DashboardRow {
  readonly id: string;
  /** The task's module path, `moduleUrl#exportName`. */
  readonly task: string;
  /** The export name: the short form the list shows. */
  readonly name: string;
  readonly queue: string;
  readonly backend: string;
  readonly priority: number;
  readonly status: TaskResultStatus;
  readonly enqueuedAt: number;
  readonly startedAt: number | null;
  readonly lastAttemptedAt: number | null;
  readonly finishedAt: number | null;
  /** Attempts so far, the running one included. */
  readonly attempts: number;
  /** Attempts allowed in all, when known. */
  readonly maxAttempts: number | null;
  /** One per attempt, oldest first. */
  readonly workerIds: readonly string[];
  readonly progress: TaskProgress | null;
  /** The latest error's class and message (the detail has every error with its traceback). */
  readonly lastError: { readonly exceptionClassPath: string; readonly message: string } | null;
  /** The FAILED result this one re-enqueues, when it was made by the re-enqueue action. */
  readonly reenqueuedFrom: string | null;
  /** The result made by re-enqueuing this one, if any. */
  readonly reenqueuedAs: string | null;
}

/** One result with everything known about it. */
export interface DashboardDetail extends DashboardRow {
  readonly args: readonly JsonValue[];
  /** What the task returned; null unless SUCCESSFUL. */
  readonly returnValue: JsonValue | null;
  /** One per failed attempt, oldest first, each with its traceback. */
  readonly errors: readonly TaskError[];
}

/** A filter and a page of the list; every filter narrows. */
export interface ListQuery {
  readonly status?: TaskResultStatus;
  readonly queue?: string;
  /** Exact module path. */
  readonly task?: string;
  /** Text the id contains. */
  readonly idContains?: string;
  /** Rows wanted, 1..MAX_PAGE_SIZE. */
  readonly limit: number;
  /** The `next` of the previous page. */
  readonly after?: string;
}

/** A page of the list, newest enqueued first. */
export interface ResultPage {
  readonly rows: readonly DashboardRow[];
  /** The cursor of the next (older) page; null on the last page. */
  readonly next: string | null;
}

/** How many results per queue and status. */
export interface DashboardCounts {
  readonly queues: ReadonlyArray<{
    readonly queue: string;
    readonly counts: Readonly<Record<TaskResultStatus, number>>;
  }>;
  readonly total: Readonly<Record<TaskResultStatus, number>>;
}

/** One minute of the chart. */
export interface MinuteStats {
  /** The minute's start. */
  readonly start: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Medians over the results finished in that minute, null when none did. */
  readonly waitMs: number | null;
  readonly runMs: number | null;
}

/** Finished tasks per minute and their wait (started − enqueued) and run (finished − started) times. */
export interface DashboardStats {
  /** Oldest minute first; the last one is the current (unfinished) minute. */
  readonly minutes: readonly MinuteStats[];
  /** Over the whole window: medians and 95th percentiles, null when nothing finished. */
  readonly waitMs: { readonly p50: number | null; readonly p95: number | null };
  readonly runMs: { readonly p50: number | null; readonly p95: number | null };
  /** What the figures cover, in words (the page shows it). */
  readonly basis: string;
}

/** A change the live feed reports; the row is the result as it is after the change. */
export interface DashboardChange {
  readonly kind: "enqueued" | "started" | "progress" | "finished";
  readonly row: DashboardRow;
}

/**
 * What the cancel action did: `cancelled` (it is FAILED now), `requested` (it runs elsewhere and
 * its worker will stop it), `finished` (it had already finished; nothing changed), `missing`.
 */
export type CancelOutcome = "cancelled" | "requested" | "finished" | "missing";

/**
 * What the re-enqueue action did: the new result's id (or, when it was re-enqueued before, the id of
 * the result made then: one FAILED result is re-enqueued at most once), or why there is none.
 */
export type ReenqueueOutcome = { readonly id: string } | "missing" | "not-failed";

/** What the dashboard needs from whatever holds the results. */
export interface DashboardSource {
  /** The backend alias, for the page's title. */
  readonly backend: string;
  /** What the list covers, in words (e.g. "results held in memory: the 1000 latest finished"). */
  readonly scope: string;
  counts(): Promise<DashboardCounts>;
  list(query: ListQuery): Promise<ResultPage>;
  /** One result, or null when there is none with that id. */
  detail(id: string): Promise<DashboardDetail | null>;
  /** The chart's figures over the last `windowMinutes` minutes. */
  stats(windowMinutes: number): Promise<DashboardStats>;
  /**
   * Calls `listener` for every change from now on; returns the unsubscribe function. The handler
   * subscribes only while a page is open, so a source may do its work (listen, poll) only then.
   */
  subscribe(listener: (change: DashboardChange) => void): () => void;
  /** Cancels a READY or RUNNING result. */
  cancel(id: string): Promise<CancelOutcome>;
  /** Enqueues a FAILED result's task again with the same arguments, as a new result linked to it. */
  reenqueue(id: string): Promise<ReenqueueOutcome>;
}
