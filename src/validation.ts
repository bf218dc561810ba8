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
