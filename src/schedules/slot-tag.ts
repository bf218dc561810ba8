/**
 * How a slot reaches the result a runner enqueues for it: the runner tags the task copy it made with
 * `using()` for that one slot, and the backend's `newState` reads the tag into
 * `ResultState.scheduledAt`. A tag on the copy, rather than an ambient (AsyncLocalStorage) scope,
 * because a task the scheduled one enqueues while it runs inline must not inherit the slot, and an
 * AsyncLocalStorage in use slows every promise of the application on Node 20.
 */

// Found through a registered symbol: the backend may come from another copy of tasklane than the runner.
const key = Symbol.for("tasklane.slotTags");
const holder = globalThis as { [key]?: WeakMap<object, number> };
holder[key] ??= new WeakMap<object, number>();
const tags: WeakMap<object, number> = holder[key];

/** Marks `task` (a fresh copy made for this slot alone) as enqueued for the slot due at `slotAt`. */
export function tagSlot<T extends object>(task: T, slotAt: number): T {
  tags.set(task, slotAt);
  return task;
}

/** The slot `task` was tagged with, or null for a task not enqueued by a schedule. */
export function taggedSlot(task: object): number | null {
  return tags.get(task) ?? null;
}
