import { InvalidTask } from "./errors.ts";
import { MAX_PRIORITY, MIN_PRIORITY } from "./priority.ts";
import type { AnyTask } from "./task.ts";
import { isTimerMs, MAX_TIMER_MS } from "./timers.ts";

/**
 * Rule 3 of Django's task validation (README, "Defining tasks"). Parameter names are not reliable in JS (minifiers rename them), so
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

/**
 * Timeouts, retries and the cancel signal: the same rules on every backend, checked before anything
 * is stored or emitted (the engine refuses what these let through, but only once it has been stored).
 */
export function validateRunOptions(t: AnyTask): void {
  if (t.timeoutMs !== null && !isTimerMs(t.timeoutMs, 1)) {
    throw new InvalidTask(
      `timeoutMs must be a number of milliseconds > 0 (a whole number, at most ${MAX_TIMER_MS}), or null (got ${String(t.timeoutMs)}).`,
    );
  }
  if (!(Number.isSafeInteger(t.maxAttempts) && t.maxAttempts >= 1)) {
    throw new InvalidTask(`maxAttempts must be a whole number >= 1 (got ${String(t.maxAttempts)}).`);
  }
  const backoff: unknown = t.backoff;
  if (typeof backoff !== "function" && !(typeof backoff === "number" && backoff >= 0 && backoff <= MAX_TIMER_MS)) {
    throw new InvalidTask(
      `backoff must be milliseconds >= 0 or a function (error, attempt) => milliseconds | null (a number: at most ${MAX_TIMER_MS}).`,
    );
  }
  if (t.signal !== null && !(t.signal instanceof AbortSignal)) {
    throw new InvalidTask("signal must be an AbortSignal, or null.");
  }
}
