import type { TaskBrand } from "./brand.ts";
import { type RunningTaskResult, runInTaskScope, type TaskContext } from "./context.ts";
import { type JsonValue, normalizeJson } from "./json.ts";
import type { Outcome } from "./outcome.ts";
import { normalizeProgress, type TaskProgress } from "./progress.ts";
import { toTaskError } from "./task-error.ts";

/**
 * Runs one attempt of a task function, wherever it runs (inline, in a thread, in a child): inside
 * the task scope so `currentResultId()` works, with the return value checked against the JSON rules
 * by `finish` (by default: normalised, a copy the task cannot change afterwards; a worker encodes it
 * instead). Synchronous functions give a synchronous outcome, which keeps a worker's loop free of
 * promises for the common no-op and CPU-bound cases.
 */
export function runTask<V = JsonValue>(
  brand: TaskBrand,
  args: readonly JsonValue[],
  resultId: string,
  context: TaskContext | null,
  finish: (value: unknown) => Outcome<V> = settle as (value: unknown) => Outcome<V>,
): Outcome<V> | Promise<Outcome<V>> {
  let raw: unknown;
  try {
    const fn = brand.fn as (...a: unknown[]) => unknown;
    raw = runInTaskScope(resultId, () => (context === null ? fn(...args) : fn(context, ...args)));
  } catch (error) {
    return { ok: false, error: toTaskError(error) };
  }
  if (raw !== null && typeof raw === "object" && typeof (raw as PromiseLike<unknown>).then === "function") {
    return Promise.resolve(raw).then(finish, (error: unknown) => ({ ok: false, error: toTaskError(error) }));
  }
  return finish(raw);
}

/** A returned `undefined` is null; anything else is checked and copied. */
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
  taskResult: RunningTaskResult,
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
