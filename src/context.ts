import { AsyncLocalStorage } from "node:async_hooks";
import type { TaskProgress } from "./progress.ts";
import type { TaskResult } from "./result.ts";

/**
 * What a running task sees of its own result: the fields as they were when this attempt started
 * (status RUNNING, this attempt's worker id last). Read-only: a task does not refresh, wait for or
 * cancel its own result (the enqueuer's `TaskResult` is the live one), so none of that is offered.
 */
export type RunningTaskResult = Pick<
  TaskResult,
  | "id"
  | "task"
  | "args"
  | "backend"
  | "status"
  | "enqueuedAt"
  | "startedAt"
  | "lastAttemptedAt"
  | "finishedAt"
  | "errors"
  | "workerIds"
  | "attempts"
  | "scheduledAt"
>;

/** What a task defined with `takesContext: true` receives as its first parameter. */
export interface TaskContext {
  /** The result this run belongs to, as it was when this attempt started. */
  readonly taskResult: RunningTaskResult;
  /** The attempt number, starting at 1. */
  readonly attempt: number;
  /**
   * The due time of the schedule slot this run belongs to, when a schedule enqueued it (null
   * otherwise): the same for every attempt, so a task can use it as an idempotency key.
   */
  readonly scheduledAt: Date | null;
  /**
   * Reports progress to the enqueuer: a fraction 0–1, or `{ current, total, message? }`. It shows
   * as `result.progress` and as a `taskProgress` event.
   */
  reportProgress(progress: TaskProgress): void;
  /**
   * Aborted when this run is cancelled (or, on the immediate backend, timed out); its `reason` is an
   * `Error` carrying the cancellation's message. A task that watches it can stop early; a pool
   * backend kills the worker of one that ignores it after a grace period. Whatever the task does
   * after the abort, the run ends with the cancellation error.
   */
  readonly signal: AbortSignal;
}

interface Scope {
  readonly resultId: string;
}

// One storage per process, found through a registered symbol: a task module may load a different
// copy of tasklane (dist vs src) than the worker entry that runs it.
const key = Symbol.for("tasklane.scope");
const holder = globalThis as { [key]?: AsyncLocalStorage<Scope> };
holder[key] ??= new AsyncLocalStorage<Scope>();
const storage: AsyncLocalStorage<Scope> = holder[key];

/** Runs `fn` so that `currentResultId()` anywhere inside it returns `resultId`. */
export function runInTaskScope<T>(resultId: string, fn: () => T): T {
  return storage.run({ resultId }, fn);
}

/**
 * The id of the task result being run, from anywhere inside a running task (including code it
 * calls and callbacks it schedules); `undefined` outside a task.
 */
export function currentResultId(): string | undefined {
  return storage.getStore()?.resultId;
}
