import { InvalidTask } from "./errors.ts";
import type { AnyTask } from "./task.ts";

/** Lowest and highest task priority (Django's TASK_MIN_PRIORITY / TASK_MAX_PRIORITY). */
export const MIN_PRIORITY = -100;
export const MAX_PRIORITY = 100;

/**
 * Rule 3 of semantics.md §2. Parameter names are not reliable in JS (minifiers rename them), so
 * the declared `takesContext` option is trusted and only a missing first parameter is refused.
 */
export function validateContext(t: AnyTask): void {
  if (t.takesContext && t.func.length === 0) {
    throw new InvalidTask("Task takes context but does not have a first argument of 'context'.");
  }
}

/** Rule 5: Django's priority range. */
export function validatePriorityRange(priority: number): void {
  if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new InvalidTask(`priority must be a whole number between ${MIN_PRIORITY} and ${MAX_PRIORITY}.`);
  }
}

/** `runAfter` must be a real point in time. */
export function validateRunAfter(runAfter: Date | null): void {
  if (runAfter !== null && !(runAfter instanceof Date && Number.isFinite(runAfter.getTime()))) {
    throw new InvalidTask("runAfter must be a valid Date.");
  }
}

/** Timeouts, retries and the cancel signal: the same rules on every backend. */
export function validateRunOptions(t: AnyTask): void {
  if (t.timeoutMs !== null && !(typeof t.timeoutMs === "number" && Number.isFinite(t.timeoutMs) && t.timeoutMs > 0)) {
    throw new InvalidTask(`timeoutMs must be a number of milliseconds > 0, or null (got ${String(t.timeoutMs)}).`);
  }
  if (!(Number.isSafeInteger(t.maxAttempts) && t.maxAttempts >= 1)) {
    throw new InvalidTask(`maxAttempts must be a whole number >= 1 (got ${String(t.maxAttempts)}).`);
  }
  const backoff: unknown = t.backoff;
  if (typeof backoff !== "function" && !(typeof backoff === "number" && Number.isFinite(backoff) && backoff >= 0)) {
    throw new InvalidTask("backoff must be milliseconds >= 0 or a function (error, attempt) => milliseconds | null.");
  }
  if (t.signal !== null && !(t.signal instanceof AbortSignal)) {
    throw new InvalidTask("signal must be an AbortSignal, or null.");
  }
}
