import { activeLogger } from "./log.ts";
import type { TaskError } from "./task-error.ts";

/**
 * How long to wait before the next attempt of a failed task: a fixed number of milliseconds, or a
 * function of the failed attempt's error and number (1 for the first) returning milliseconds, or
 * `null` to stop retrying.
 */
export type Backoff = number | ((error: TaskError, attempt: number) => number | null);

/** Options of `exponentialBackoff`. */
export interface ExponentialBackoffOptions {
  /** The delay after the first failure, before jitter. Default 1000. */
  baseMs?: number;
  /** The delay never grows past this. Default 60 000. */
  maxMs?: number;
}

/**
 * Doubles the delay after each failed attempt (`baseMs`, 2×, 4×… up to `maxMs`) and picks a random
 * point in the upper half of it ("equal jitter"), so tasks that failed together do not all retry
 * in the same instant and overload what made them fail. The default `backoff`.
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): Backoff {
  const { baseMs = 1000, maxMs = 60_000 } = options;
  if (!(Number.isFinite(baseMs) && baseMs >= 0 && Number.isFinite(maxMs) && maxMs >= baseMs)) {
    throw new RangeError(`exponentialBackoff: need 0 <= baseMs <= maxMs (got baseMs ${baseMs}, maxMs ${maxMs})`);
  }
  return (_error, attempt) => {
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  };
}

/** The default backoff: `exponentialBackoff()` (about 0.5–1 s, then 1–2 s, 2–4 s… up to 60 s). */
export const defaultBackoff: Backoff = exponentialBackoff();

/**
 * The delay before attempt `attempt + 1`, or null when the task should not be retried. A backoff
 * function that throws or returns something other than a finite number >= 0 or null stops the
 * retries; the error is recorded by the caller's log rather than lost.
 */
function nextDelay(backoff: Backoff, error: TaskError, attempt: number): number | null {
  const delay = typeof backoff === "number" ? backoff : backoff(error, attempt);
  if (delay === null) return null;
  if (typeof delay !== "number" || !Number.isFinite(delay) || delay < 0) {
    throw new RangeError(`backoff returned ${String(delay)}; expected milliseconds >= 0 or null`);
  }
  return delay;
}

// Errors that no retry can fix: the task was stopped on purpose.
const notRetried = new Set(["TASKLANE_TASK_CANCELLED", "TASKLANE_BACKEND_CLOSED"]);

/** What `retryDelay` needs to know of a task. */
interface RetryPolicy {
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  readonly modulePath: string;
}

/**
 * Milliseconds until the next attempt after `attempt` failed with `error`, or null when the failure
 * is final: the attempts ran out, the error is unrecoverable, the task was cancelled or its backend
 * closed, or the backoff said stop. One rule for every backend that retries.
 */
export function retryDelay(task: RetryPolicy, error: TaskError, attempt: number): number | null {
  if (attempt >= task.maxAttempts || error.unrecoverable === true) return null;
  if (error.code !== undefined && notRetried.has(String(error.code))) return null;
  try {
    return nextDelay(task.backoff, error, attempt);
  } catch (thrown) {
    // A broken backoff function ends the retries; the task's own error is the one recorded.
    activeLogger()?.error(`Task path=${task.modulePath}: backoff failed: ${String(thrown)}`);
    return null;
  }
}
