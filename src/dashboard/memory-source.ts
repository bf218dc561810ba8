import type { BaseTaskBackend } from "../backends/base.ts";
import { TaskResultDoesNotExist } from "../errors.ts";
import { type TaskEventName, taskEvents } from "../events.ts";
import type { JsonValue } from "../json.ts";
import { type TaskResult, TaskResultStatus } from "../result.ts";
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

/** An in-memory backend the dashboard can read: the built-in ones have `heldResults()`. */
export type InMemoryBackend = BaseTaskBackend & { heldResults(): Iterable<TaskResult> };

/** Whether `backend` can be shown by a `MemorySource`. */
export function holdsResults(backend: BaseTaskBackend): backend is InMemoryBackend {
  return typeof (backend as Partial<InMemoryBackend>).heldResults === "function";
}

const EVENTS: ReadonlyArray<[TaskEventName, DashboardChange["kind"]]> = [
  ["taskEnqueued", "enqueued"],
  ["taskStarted", "started"],
  ["taskProgress", "progress"],
  ["taskFinished", "finished"],
];

// Re-enqueue links are kept per source, so they must stay bounded as results come and go; the
// oldest links are forgotten first (their results are long evicted by then).
const MAX_LINKS = 10_000;

/**
 * The dashboard over an in-memory backend in this process: it reads the results the backend still
 * holds (the unfinished ones and the latest `maxResults` finished ones) and follows `taskEvents`.
 */
export class MemorySource implements DashboardSource {
  readonly backend: string;
  readonly scope: string;
  readonly #owner: InMemoryBackend;
  /** new id → the FAILED id it re-enqueues, and back. */
  readonly #from = new Map<string, string>();
  readonly #as = new Map<string, string>();

  constructor(backend: InMemoryBackend) {
    this.#owner = backend;
    this.backend = backend.alias;
    const max = (backend as { maxResults?: unknown }).maxResults;
    this.scope =
      typeof max === "number"
        ? `results held in memory by backend '${backend.alias}': unfinished ones and the ${max} latest finished`
        : `results held in memory by backend '${backend.alias}'`;
  }

  async counts(): Promise<DashboardCounts> {
    const entries = [...this.#owner.heldResults()].map((r) => ({
      queue: r.task.queueName,
      status: r.status,
      count: 1,
    }));
    return tallyCounts(entries);
  }

  async list(query: ListQuery): Promise<ResultPage> {
    // heldResults() is in enqueue order; the page wants the newest first.
    const matching = [...this.#owner.heldResults()].filter((r) => matches(r, query)).reverse();
    const start = startAfter(matching, query.after);
    const rows = matching.slice(start, start + query.limit).map((r) => this.#row(r));
    const last = rows.at(-1);
    const next = last !== undefined && start + query.limit < matching.length ? cursorOf(last) : null;
    return { rows, next };
  }

  async detail(id: string): Promise<DashboardDetail | null> {
    const result = await this.#find(id);
    if (result === null) return null;
    return {
      ...this.#row(result),
      args: result.args,
      returnValue: result.status === TaskResultStatus.SUCCESSFUL ? ((result.returnValue as JsonValue) ?? null) : null,
      errors: result.errors,
    };
  }

  async stats(windowMinutes: number): Promise<DashboardStats> {
    const rows = [...this.#owner.heldResults()].map((r) => ({
      status: r.status,
      enqueuedAt: r.enqueuedAt.getTime(),
      startedAt: r.startedAt?.getTime() ?? null,
      finishedAt: r.finishedAt?.getTime() ?? null,
    }));
    return computeStats(rows, Date.now(), windowMinutes, this.scope);
  }

  subscribe(listener: (change: DashboardChange) => void): () => void {
    const offs = EVENTS.map(([event, kind]) =>
      taskEvents.on(event, (result: TaskResult) => {
        if (result.backend === this.backend) listener({ kind, row: this.#row(result) });
      }),
    );
    return () => {
      for (const off of offs) off();
    };
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const result = await this.#find(id);
    if (result === null) return "missing";
    return (await result.cancel("cancelled from the dashboard")) ? "cancelled" : "finished";
  }

  async reenqueue(id: string): Promise<ReenqueueOutcome> {
    const old = await this.#find(id);
    if (old === null) return "missing";
    if (old.status !== TaskResultStatus.FAILED) return "not-failed";
    // One re-enqueue per FAILED result, as over the database: a second click makes nothing new.
    const made = this.#as.get(id);
    if (made !== undefined) return { id: made };
    // Run it again now: a past runAfter or an aborted signal of the first copy must not carry over.
    const task = old.task.using({ runAfter: null, signal: null });
    this.#owner.validateTask(task);
    const fresh = this.#owner.enqueue(task, old.args);
    // The immediate backend runs inside enqueue: the link is made once it returns, so a row shown
    // by the live feed before that has no link yet (the next refresh has it).
    const { id: newId } = await fresh;
    this.#link(id, newId);
    return { id: newId };
  }

  async #find(id: string): Promise<TaskResult | null> {
    try {
      return await this.#owner.getResult(id);
    } catch (error) {
      if (error instanceof TaskResultDoesNotExist) return null;
      throw error;
    }
  }

  #link(from: string, to: string): void {
    this.#from.set(to, from);
    this.#as.set(from, to);
    if (this.#from.size > MAX_LINKS) {
      const [oldestTo, oldestFrom] = this.#from.entries().next().value as [string, string];
      this.#from.delete(oldestTo);
      if (this.#as.get(oldestFrom) === oldestTo) this.#as.delete(oldestFrom);
    }
  }

  #row(result: TaskResult): DashboardRow {
    const last = result.errors.at(-1);
    return {
      id: result.id,
      task: result.task.modulePath,
      name: result.task.name,
      queue: result.task.queueName,
      backend: result.backend,
      priority: result.task.priority,
      status: result.status,
      enqueuedAt: result.enqueuedAt.getTime(),
      startedAt: result.startedAt?.getTime() ?? null,
      lastAttemptedAt: result.lastAttemptedAt?.getTime() ?? null,
      finishedAt: result.finishedAt?.getTime() ?? null,
      attempts: result.attempts,
      maxAttempts: result.task.maxAttempts,
      workerIds: result.workerIds,
      progress: result.progress,
      lastError: last === undefined ? null : { exceptionClassPath: last.exceptionClassPath, message: last.message },
      reenqueuedFrom: this.#from.get(result.id) ?? null,
      reenqueuedAs: this.#as.get(result.id) ?? null,
    };
  }
}

function matches(result: TaskResult, query: ListQuery): boolean {
  return (
    (query.status === undefined || result.status === query.status) &&
    (query.queue === undefined || result.task.queueName === query.queue) &&
    (query.task === undefined || result.task.modulePath === query.task) &&
    (query.idContains === undefined || result.id.includes(query.idContains))
  );
}

/** The cursor of a row: its enqueue time and id. */
function cursorOf(row: DashboardRow): string {
  return `${row.enqueuedAt}.${row.id}`;
}

/**
 * Where the page after `cursor` starts in `newestFirst`: just past the cursor's row, or, when that
 * row was evicted meanwhile, at the first row enqueued before it.
 */
function startAfter(newestFirst: readonly TaskResult[], cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const dot = cursor.indexOf(".");
  const at = Number(cursor.slice(0, dot));
  const id = cursor.slice(dot + 1);
  const i = newestFirst.findIndex((r) => r.id === id);
  if (i >= 0) return i + 1;
  const j = newestFirst.findIndex((r) => r.enqueuedAt.getTime() < at);
  return j >= 0 ? j : newestFirst.length;
}
