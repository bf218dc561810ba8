/**
 * How a slot reaches the result a runner enqueues for it: the runner tags the task copy it made with
 * `using()` for that one slot, and the backend reads the tag: `newState` into
 * `ResultState.scheduledAt`, the database backend into the slot row it writes with the task's row.
 * A tag on the copy, rather than an ambient (AsyncLocalStorage) scope, because a task the scheduled
 * one enqueues while it runs inline must not inherit the slot, and an AsyncLocalStorage in use slows
 * every promise of the application on Node 20.
 */

/** The slot a task copy was made for: its schedule's name and its due time (epoch ms). */
export interface SlotTag {
  readonly schedule: string;
  readonly at: number;
}

// Found through a registered symbol: the backend may come from another copy of tasklane than the runner.
const key = Symbol.for("tasklane.slotTags");
const holder = globalThis as { [key]?: WeakMap<object, SlotTag> };
holder[key] ??= new WeakMap<object, SlotTag>();
const tags: WeakMap<object, SlotTag> = holder[key];

/** Marks `task` (a fresh copy made for this slot alone) as enqueued for the slot `tag`. */
export function tagSlot<T extends object>(task: T, tag: SlotTag): T {
  tags.set(task, tag);
  return task;
}

/** The slot `task` was tagged with, or null for a task not enqueued by a schedule. */
export function slotTagOf(task: object): SlotTag | null {
  return tags.get(task) ?? null;
}

/** The due time of the slot `task` was tagged with, or null. */
export function taggedSlot(task: object): number | null {
  return tags.get(task)?.at ?? null;
}
