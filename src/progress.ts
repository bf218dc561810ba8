import { formatPath } from "./json.ts";

/** Progress a running task reports: a fraction 0–1, or counts with an optional message. */
export type TaskProgress = number | { current: number; total: number; message?: string };

/**
 * Checks a progress value and returns a fresh copy. Throws a TypeError that says what is wrong, so a
 * typo in a task is reported where it was made instead of confusing the enqueuer later.
 */
export function normalizeProgress(value: unknown): TaskProgress {
  if (typeof value === "number") {
    if (value >= 0 && value <= 1) return value;
    throw new TypeError(`progress: a number must be between 0 and 1 (got ${value})`);
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const { current, total, message } = value as Record<string, unknown>;
    for (const [key, n] of [
      ["current", current],
      ["total", total],
    ] as const) {
      if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
        throw new TypeError(`${formatPath("progress", [key])}: must be a finite number >= 0`);
      }
    }
    if (message !== undefined && typeof message !== "string") {
      throw new TypeError("progress.message: must be a string");
    }
    const out: TaskProgress = { current: current as number, total: total as number };
    if (message !== undefined) out.message = message as string;
    return out;
  }
  throw new TypeError("progress: must be a number 0–1 or { current, total, message? }");
}
