import type { DatabaseBackend } from "../backends/database.ts";
import { type Backoff, defaultBackoff, retryDelay } from "../backoff.ts";
import { messageOf } from "../describe.ts";
import { WorkerLost } from "../errors.ts";
import type { AnyTask } from "../task.ts";
import { toTaskError } from "../task-error.ts";
import type { Expired, Settlement, TaskRow, TaskStore } from "./store.ts";

/** Expired leases taken over per pass. */
const REAP_LIMIT = 100;

/** A claim held by this process and not (yet) running here, whose lease must be renewed meanwhile. */
export interface HeldLease {
  readonly id: string;
  readonly token: string;
}

/**
 * The retry rule of a row: its own attempt options, else its definition's backoff, else the
 * default (a row whose module cannot be imported any more still gets a backoff).
 */
export function retryPolicyOf(
  row: TaskRow,
  task: AnyTask | null,
): { maxAttempts: number; backoff: Backoff; modulePath: string } {
  return {
    maxAttempts: row.maxAttempts,
    backoff: row.backoffMs ?? task?.backoff ?? defaultBackoff,
    modulePath: row.taskPath,
  };
}

/**
 * A worker's reaper: takes over rows whose lease ran out (their worker died or lost the database
 * for longer than a lease) and records each such attempt as `WorkerLost`, retried if its policy
 * allows. Safe on every worker at once: a take-over is one fenced statement, so a row is taken by
 * exactly one reaper, under a token of its own.
 */
export class LeaseReaper {
  readonly #backend: DatabaseBackend;
  readonly #store: TaskStore;
  readonly #workerId: string;
  /** The worker's claims being loaded: a row taken over is one until its outcome is recorded. */
  readonly #loading: Map<string, HeldLease>;
  readonly #log: (line: string) => void;
  #nextAt = 0;
  #busy = false;

  constructor(
    backend: DatabaseBackend,
    store: TaskStore,
    workerId: string,
    loading: Map<string, HeldLease>,
    log: (line: string) => void,
  ) {
    this.#backend = backend;
    this.#store = store;
    this.#workerId = workerId;
    this.#loading = loading;
    this.#log = log;
  }

  /** Takes over rows whose lease ran out and records those attempts as lost. */
  async reap(): Promise<void> {
    // A lease runs out only leaseMs after its last renewal: looking more often than every half of
    // that finds nothing new and would cost an idle worker a write each time.
    const now = Date.now();
    // One pass at a time: a pass still loading definitions must not meet its own take-overs again.
    if (now < this.#nextAt || this.#busy) return;
    this.#nextAt = now + Math.max(10, Math.floor(this.#backend.leaseMs / 2));
    this.#busy = true;
    try {
      await this.#pass();
    } finally {
      this.#busy = false;
    }
  }

  async #pass(): Promise<void> {
    let expired: Expired[];
    try {
      expired = await this.#store.reapExpired(this.#workerId, this.#backend.leaseMs, REAP_LIMIT);
    } catch (error) {
      this.#log(`Reaping expired leases failed: ${messageOf(error)}`);
      return;
    }
    if (expired.length === 0) return;
    // Taken over, these are ours until settled: renewed with the worker's own, or a definition
    // slower to import than the lease would see them reaped again (by us, naming us as lost).
    for (const { claim } of expired) this.#loading.set(claim.row.id, { id: claim.row.id, token: claim.token });
    try {
      await this.#settleLost(expired);
    } finally {
      for (const { claim } of expired) this.#loading.delete(claim.row.id);
    }
  }

  async #settleLost(expired: readonly Expired[]): Promise<void> {
    const settlements: Settlement[] = [];
    for (const { claim, lostWorker } of expired) {
      const row = claim.row;
      const attempt = row.workerIds.length;
      const error = toTaskError(
        new WorkerLost(
          `Worker '${lostWorker}' stopped renewing its lease on attempt ${attempt} of ${row.taskPath} ` +
            `(result ${row.id}); the attempt is presumed lost.`,
        ),
      );
      let task: AnyTask | null = null;
      try {
        task = await this.#backend.taskOf(row);
      } catch {
        // The definition's backoff is unknown here; a fixed one from the row, or the default, applies.
      }
      const delay = retryDelay(retryPolicyOf(row, task), error, attempt);
      settlements.push(
        delay === null
          ? { id: row.id, token: claim.token, kind: "failed", error }
          : { id: row.id, token: claim.token, kind: "retry", error, delayMs: delay },
      );
      this.#log(
        `Task id=${row.id}: attempt ${attempt} lost by worker '${lostWorker}'; ${delay === null ? "FAILED" : "retrying"}.`,
      );
    }
    try {
      await this.#store.settle(settlements);
    } catch (error) {
      this.#log(`Recording lost attempts failed: ${messageOf(error)}`);
    }
  }
}
