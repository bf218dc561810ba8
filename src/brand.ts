/**
 * How a worker recognises a task object in a module it imported. A registered symbol rather than
 * `instanceof`, because the task module may load tasklane from another copy (dist vs src, or a
 * second install) than the worker entry does.
 */
export const TASK_BRAND: unique symbol = Symbol.for("tasklane.task");

/** What a worker needs to run a task it found in a module. */
export interface TaskBrand {
  readonly fn: (...args: never[]) => unknown;
  readonly takesContext: boolean;
  readonly name: string;
}

/** The brand of `value` if it is a task object, else undefined. */
export function readTaskBrand(value: unknown): TaskBrand | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return (value as { [TASK_BRAND]?: TaskBrand })[TASK_BRAND];
}
