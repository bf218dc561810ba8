import { TaskStoreError } from "../errors.ts";
import type { TaskRow } from "./store.ts";

/**
 * The first poll comes soon (a no-op task finishes in about a millisecond), then the interval
 * grows so a long task costs a few queries a second per waiter, not hundreds.
 */
const FIRST_POLL_MS = 2;
const MAX_POLL_MS = 250;
const GROWTH = 1.5;

/** Wakes the waiters of rows this process itself finished, so they need not wait for their poll. */
export class FinishWakeups {
  readonly #waiters = new Map<string, Set<() => void>>();

  subscribe(id: string, wake: () => void): () => void {
    const set = this.#waiters.get(id) ?? new Set();
    this.#waiters.set(id, set);
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0) this.#waiters.delete(id);
    };
  }

  wake(id: string): void {
    for (const wake of this.#waiters.get(id) ?? []) wake();
  }
}

/**
 * Polls until the row is finished. The timers are ref'd on purpose: a process awaiting a result
 * is not idle. Rejects with the signal's reason when it aborts.
 */
export async function pollUntilFinished(
  id: string,
  get: (id: string) => Promise<TaskRow | null>,
  wakeups: FinishWakeups,
  location: string,
  signal: AbortSignal,
): Promise<TaskRow> {
  signal.throwIfAborted();
  let delay = FIRST_POLL_MS;
  for (;;) {
    const row = await get(id);
    if (row === null) throw new TaskStoreError(`${location}: no task row ${id} (it was never stored, or was pruned)`);
    if (row.status === "SUCCESSFUL" || row.status === "FAILED") return row;
    await pause(delay, id, wakeups, signal);
    delay = Math.min(delay * GROWTH, MAX_POLL_MS);
  }
}

function pause(ms: number, id: string, wakeups: FinishWakeups, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener("abort", aborted);
    };
    const aborted = (): void => {
      done();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    const unsubscribe = wakeups.subscribe(id, () => {
      done();
      resolve();
    });
    signal.addEventListener("abort", aborted, { once: true });
    if (signal.aborted) aborted();
  });
}
