import type { PoolBackendName } from "../types.ts";

/**
 * The four kinds of work: a no-op, `fib(n)` for CPU, a JSON argument carried to the worker, and a
 * JSON value of the requested size carried back.
 */
export type TaskKind = "noop" | "cpu" | "payload" | "returns";

/**
 * One contender at one worker count, behind the interface every measurement uses. The tasklane
 * contenders go through the public API (`enqueue`, `wait`); the peers call their pool directly, so
 * the difference between two rows is what tasklane's API and guarantees cost.
 */
export interface Contender {
  readonly backend: PoolBackendName;
  /** Worker count, or null when the work runs inline. */
  readonly workers: number | null;
  /** Creates the pool and warms every worker (started, task module imported, JIT warm). */
  start(): Promise<void>;
  /**
   * Starts one task and returns what the API returned (`enqueue()`'s or `run()`'s promise) without
   * waiting for it: this call is what the enqueue section times. `drain()` waits for these tasks.
   */
  submit(kind: TaskKind, arg: unknown): Promise<unknown>;
  /** Runs one task to completion (enqueue → finished). */
  runOne(kind: TaskKind, arg: unknown): Promise<void>;
  /** Starts `count` tasks at once, then waits for all; rejects if any did not succeed. */
  flood(kind: TaskKind, count: number, arg: unknown): Promise<void>;
  /** Resolves once every task started with `submit()` has finished. */
  drain(): Promise<void>;
  /** Pids of the worker processes (empty for threads and inline). */
  workerPids(): number[];
  /** Closes the pool and ends its workers. */
  close(): Promise<void>;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `done` every millisecond until it holds, failing after `timeoutMs` with `what` in the
 * message (a function is asked at that moment, so it can say how far it got).
 */
export async function until(done: () => boolean, what: string | (() => string), timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      const described = typeof what === "string" ? what : what();
      throw new Error(`benchmark: timed out after ${timeoutMs} ms waiting for ${described}`);
    }
    await sleep(1);
  }
}
