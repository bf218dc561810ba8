import type { SlotLedger, SlotOutcome } from "../schedules/ledger.ts";
import type { TaskStore } from "./store.ts";

/**
 * Thrown by the database backend's enqueue of a slot's task when the slot (or a later one of its
 * schedule) was already recorded, so nothing was written; the ledger turns it into "duplicate".
 */
export class SlotTaken extends Error {
  readonly code = "TASKLANE_SLOT_TAKEN";
}

function isSlotTaken(error: unknown): boolean {
  // By code, not instanceof: the backend and the ledger may come from two copies of tasklane.
  return (error as { code?: unknown } | null)?.code === "TASKLANE_SLOT_TAKEN";
}

/**
 * The database backend's slot ledger: the slots table, whose unique (schedule name, slot time) key
 * makes every slot run once across all the workers on the database, by the database's word rather
 * than by timing. The slot row is written by the backend's own enqueue, in the transaction that
 * writes the task's row (`TaskStore.enqueueSlot`): the runner's `enqueue` must therefore enqueue the
 * slot-tagged task copy (`enqueueSlotTask`, the default) on this backend.
 */
export class DatabaseSlotLedger implements SlotLedger {
  readonly #store: () => Promise<TaskStore>;

  constructor(store: () => Promise<TaskStore>) {
    this.#store = store;
  }

  async lastSlot(name: string): Promise<number | null> {
    return (await this.#store()).lastSlot(name);
  }

  async enqueueSlot(name: string, slotAt: number, enqueue: () => Promise<unknown>): Promise<SlotOutcome> {
    // A read first: a slot another worker already took then costs no write lock and no task import.
    const last = await this.lastSlot(name);
    if (last !== null && last >= slotAt) return "duplicate";
    try {
      await enqueue();
    } catch (error) {
      if (isSlotTaken(error)) return "duplicate";
      throw error;
    }
    return "enqueued";
  }
}
