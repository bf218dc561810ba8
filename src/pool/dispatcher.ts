import { CLAIM_SLOTS } from "../wire/claims.ts";
import { MAX_HELD_PER_WORKER, PREFETCH_BUDGET_MS } from "./lane.ts";
import type { ModuleRefs } from "./module-refs.ts";
import type { Recall } from "./recall.ts";
import type { PoolJob } from "./types.ts";
import type { SlotLane, WorkerSlot } from "./worker-slot.ts";
import type { Workforce } from "./workforce.ts";

// A held job keeps its claim slot: a worker must never hold as many jobs as there are slots.
if (MAX_HELD_PER_WORKER >= CLAIM_SLOTS) throw new Error("MAX_HELD_PER_WORKER must stay below CLAIM_SLOTS");

/**
 * How many more jobs may be handed ahead to a worker now, given the jobs it `held` (its current
 * one, if any, and buffered ones) and `since`, when the pool learned that its current job started
 * (pool clock; null when none is known to run): as many as it is expected to start within
 * PREFETCH_BUDGET_MS, at the lane's average run time `ewma`, counting what is left of its current
 * job by how long that has run already, not only by the average. None once its current job has
 * outlasted the average by the budget itself: when it ends is unknown (and past RECALL_SLACK_MS its
 * buffered jobs are taken back). The caller gives none to a worker importing a module.
 */
export function handAheadRoom(held: number, since: number | null, ewma: number, now: number): number {
  if (held >= MAX_HELD_PER_WORKER) return 0;
  let wait: number;
  if (since === null) {
    wait = held * ewma; // the first of them starts about now
  } else {
    const ran = now - since;
    if (ran > ewma + PREFETCH_BUDGET_MS) return 0;
    wait = Math.max(0, ewma - ran) + (held - 1) * ewma;
  }
  if (wait > PREFETCH_BUDGET_MS) return 0;
  const more = ewma === 0 ? Number.POSITIVE_INFINITY : 1 + Math.floor((PREFETCH_BUDGET_MS - wait) / ewma);
  return Math.min(MAX_HELD_PER_WORKER - held, more);
}

/**
 * Hands a lane's waiting jobs to its workers, once per microtask and per batch of worker frames:
 * idle workers first (one each, so that a few jobs spread over the lane), then jobs ahead to busy
 * workers within `handAheadRoom`, sent as one batch per worker. First, though, the buffered jobs of
 * workers whose current job outlasted what was expected are taken back (see recall.ts), so that
 * they go to whichever worker is free first, in priority order with everything else that waits.
 */
export class Dispatcher {
  readonly #refs: ModuleRefs;
  /** `recycle.maxTasksPerWorker`, read on every job handed out. */
  readonly #maxTasks: number;
  readonly #workforce: Workforce;
  readonly #recall: Recall;

  constructor(refs: ModuleRefs, maxTasks: number, workforce: Workforce, recall: Recall) {
    this.#refs = refs;
    this.#maxTasks = maxTasks;
    this.#workforce = workforce;
    this.#recall = recall;
  }

  /** Hands waiting jobs to the lane's ready workers, sends them, and forks workers if some still wait. */
  dispatch(lane: SlotLane): void {
    lane.markClean();
    if (this.#workforce.terminated) return;
    const workers = lane.workers;
    let now = -1;
    let buffering = false;
    for (let i = 0; i < workers.length; i++) {
      if (workers[i]!.buffered() > 0) buffering = true;
    }
    if (buffering) {
      now = Date.now();
      this.#recall.overdue(lane, now);
    }
    if (lane.waiting === 0) {
      this.#workforce.keepWarm(lane);
      return;
    }
    for (let i = 0; i < workers.length && lane.waiting > 0; i++) {
      const slot = workers[i]!;
      if (slot.accepting && slot.inflight.size === 0) this.#give(slot, lane.pop());
    }
    if (lane.waiting > 0 && lane.mayHandAhead()) {
      if (now < 0) now = Date.now();
      this.#handAhead(lane, now);
    }
    for (const slot of workers) slot.flush();
    if (lane.waiting > 0) this.#workforce.maybeSpawn(lane);
  }

  /** Round-robin over the busy workers, within each one's room. */
  #handAhead(lane: SlotLane, now: number): void {
    const workers = lane.workers;
    const ewma = lane.ewma;
    const room: number[] = [];
    let any = false;
    for (const slot of workers) {
      const current = slot.current;
      let n = 0;
      // An import takes however long it takes: nothing waits behind one.
      if (slot.accepting && (current === null || slot.currentStartedAt >= 0)) {
        n = handAheadRoom(slot.inflight.size, current === null ? null : slot.currentHeardAt, ewma, now);
      }
      room.push(n);
      if (n > 0) any = true;
    }
    for (let gave = any; gave && lane.waiting > 0; ) {
      gave = false;
      for (let i = 0; i < workers.length && lane.waiting > 0; i++) {
        if (room[i]! <= 0) continue;
        const slot = workers[i]!;
        // Giving may retire it (maxTasksPerWorker): then it takes no more.
        if (!slot.accepting) continue;
        room[i]!--;
        this.#give(slot, lane.pop());
        gave = true;
      }
    }
    if (any) this.#recall.watch(lane);
  }

  #give(slot: WorkerSlot, job: PoolJob): void {
    const given = slot.give(job, this.#refs.ref(job.moduleUrl, job.exportName));
    // Counting jobs handed rather than finished caps what it runs, prefetch or not.
    if (given >= this.#maxTasks) this.#workforce.retire(slot);
  }
}
