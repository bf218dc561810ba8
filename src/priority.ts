/** Lowest and highest task priority (Django's TASK_MIN_PRIORITY / TASK_MAX_PRIORITY). */
export const MIN_PRIORITY = -100;
export const MAX_PRIORITY = 100;

/** What the run order needs to know of a job. */
export interface RunOrdered {
  readonly priority: number;
  /** Handed out in enqueue order. */
  readonly key: number;
}

/**
 * The order jobs run in: higher priority first, then the lower key (enqueued first). A worker's
 * buffer sorts by it; a lane's bucket queue keeps it by arrival, and puts the jobs a worker gives
 * back in the reverse of it, each in front of its priority, so that they come out in it again.
 */
export function runsBefore(a: RunOrdered, b: RunOrdered): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.key < b.key);
}
