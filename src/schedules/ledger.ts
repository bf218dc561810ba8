/**
 * The seam that makes a slot run once: every runner records the slots it enqueues in a ledger, and
 * runners sharing a ledger never enqueue a slot twice. The in-process runner of the pool and
 * immediate backends uses `MemorySlotLedger` (shared by the runners of one process only); a
 * backend that stores slots itself, the database backend, gives its own through `slotLedger()`,
 * backed by a unique key per (schedule name, slot time), so workers on any number of machines
 * agree.
 */

/** What `enqueueSlot` did. */
export type SlotOutcome =
  /** This call enqueued the slot. */
  | "enqueued"
  /** Nothing: the slot, or a later one of the same schedule, had already been enqueued. */
  | "duplicate";

/** A record of the slots enqueued per schedule. Slot times are epoch milliseconds. */
export interface SlotLedger {
  /** The latest slot enqueued for the schedule, or null when none is recorded. */
  lastSlot(name: string): Promise<number | null>;
  /**
   * Enqueues slot `slotAt` of schedule `name` through `enqueue`, exactly once across everything
   * sharing this ledger:
   * - when the ledger holds this slot or a later one of the schedule, resolves "duplicate" and
   *   does not call `enqueue` (so a schedule's slots are also enqueued in order);
   * - else calls `enqueue` once; when it resolves, records the slot as the schedule's latest and
   *   resolves "enqueued"; when it rejects, records nothing and rejects with its error.
   *
   * Calls for one schedule are serialised. A database ledger inserts the slot's unique row and the
   * task's row in one transaction, so a crash between the two leaves neither.
   */
  enqueueSlot(name: string, slotAt: number, enqueue: () => Promise<unknown>): Promise<SlotOutcome>;
}

/** A ledger in this process's memory: runners of one process sharing it fire each slot once. */
export class MemorySlotLedger implements SlotLedger {
  readonly #last = new Map<string, number>();
  // One promise chain per schedule: the check, the enqueue and the record happen as one step.
  readonly #queues = new Map<string, Promise<unknown>>();

  lastSlot(name: string): Promise<number | null> {
    return Promise.resolve(this.#last.get(name) ?? null);
  }

  enqueueSlot(name: string, slotAt: number, enqueue: () => Promise<unknown>): Promise<SlotOutcome> {
    const step = (this.#queues.get(name) ?? Promise.resolve()).then(async (): Promise<SlotOutcome> => {
      const last = this.#last.get(name);
      if (last !== undefined && slotAt <= last) return "duplicate";
      await enqueue();
      this.#last.set(name, slotAt);
      return "enqueued";
    });
    const settled = step.catch(() => {});
    this.#queues.set(name, settled);
    void settled.then(() => {
      if (this.#queues.get(name) === settled) this.#queues.delete(name);
    });
    return step;
  }
}

/** A backend that records slots itself (the database backend) implements this. */
export interface SlotKeepingBackend {
  slotLedger(): SlotLedger;
}

/** The backend's own ledger, or null for backends that keep nothing across processes. */
export function ledgerOf(backend: object): SlotLedger | null {
  const own = (backend as Partial<SlotKeepingBackend>).slotLedger;
  return typeof own === "function" ? own.call(backend) : null;
}
