import type { TaskBrand } from "./brand.ts";
import { runInTaskScope, type TaskContext } from "./context.ts";
import { BackendNotSupported } from "./errors.ts";
import { type JsonValue, normalizeJson } from "./json.ts";
import { normalizeProgress, type TaskProgress } from "./progress.ts";
import { type ResultOwner, type ResultState, TaskResult, TaskResultStatus } from "./result.ts";
import type { Task } from "./task.ts";
import { type TaskError, toTaskError } from "./task-error.ts";

/** How one attempt ended. Plain data, so a worker can send it as it is. */
export type Outcome = { ok: true; value: JsonValue } | { ok: false; error: TaskError };

/**
 * Runs one attempt of a task function, wherever it runs (inline, in a thread, in a child): inside
 * the task scope so `currentResultId()` works, with the return value checked against the JSON rules.
 * Synchronous functions give a synchronous outcome, which keeps a worker's loop free of promises
 * for the common no-op and CPU-bound cases.
 */
export function runTask(
  brand: TaskBrand,
  args: readonly JsonValue[],
  resultId: string,
  context: TaskContext | null,
): Outcome | Promise<Outcome> {
  let raw: unknown;
  try {
    const fn = brand.fn as (...a: unknown[]) => unknown;
    raw = runInTaskScope(resultId, () => (context === null ? fn(...args) : fn(context, ...args)));
  } catch (error) {
    return { ok: false, error: toTaskError(error) };
  }
  if (raw !== null && typeof raw === "object" && typeof (raw as PromiseLike<unknown>).then === "function") {
    return Promise.resolve(raw).then(settle, (error: unknown) => ({ ok: false, error: toTaskError(error) }));
  }
  return settle(raw);
}

function settle(value: unknown): Outcome {
  if (value === undefined) return { ok: true, value: null };
  try {
    return { ok: true, value: normalizeJson(value, "returnValue") };
  } catch (error) {
    return { ok: false, error: toTaskError(error) };
  }
}

/**
 * Builds the context object a `takesContext` task receives. `signal` is the run's cancellation
 * signal; each backend owns its controller (a worker creates one per context-taking job).
 */
export function makeContext(
  taskResult: TaskResult,
  attempt: number,
  report: (progress: TaskProgress) => void,
  signal: AbortSignal,
): TaskContext {
  return {
    taskResult,
    attempt,
    scheduledAt: taskResult.scheduledAt,
    signal,
    reportProgress(progress: TaskProgress): void {
      report(normalizeProgress(progress));
    },
  };
}

/** What a worker is told about the result it runs, so a context can show it. */
export interface WorkerResultMeta {
  id: string;
  backend: string;
  enqueuedAt: number;
  startedAt: number | null;
  workerIds: string[];
  errors: TaskError[];
  /** The schedule slot the result was enqueued for (`ResultState.scheduledAt`); absent means none. */
  scheduledAt?: number | null;
}

/**
 * The result a task sees through `context.taskResult` inside a worker: the fields as they were when
 * the attempt started. It cannot be refreshed or waited on from there (that would be the task
 * waiting on itself); the enqueuer's own result object is the live one.
 */
export function workerSideResult(
  meta: WorkerResultMeta,
  task: unknown,
  args: JsonValue[],
  startedAt: number,
): TaskResult {
  const owner: ResultOwner = {
    alias: meta.backend,
    supportsGetResult: false,
    refreshState() {
      return Promise.reject(new BackendNotSupported("A result cannot be refreshed from inside its own task."));
    },
    waitForState() {
      return Promise.reject(new BackendNotSupported("A task cannot wait for its own result."));
    },
    cancelState() {
      return Promise.reject(new BackendNotSupported("A task cannot cancel itself; throw an error instead."));
    },
  };
  const state: ResultState = {
    id: meta.id,
    task: task as Task,
    args,
    owner,
    status: TaskResultStatus.RUNNING,
    enqueuedAt: meta.enqueuedAt,
    startedAt: meta.startedAt ?? startedAt,
    lastAttemptedAt: startedAt,
    finishedAt: null,
    errors: meta.errors,
    workerIds: meta.workerIds,
    returnValue: undefined,
    progress: null,
    scheduledAt: meta.scheduledAt ?? null,
    waiters: null,
    handle: null,
  };
  return new TaskResult(state);
}
