import { LOST, TAKEN, TAKEN_IMPORTING, type WithdrawResult } from "../wire/claims.ts";
import type { Cancellation, JobLedger } from "./ledger.ts";
import type { PoolJob } from "./types.ts";
import type { SlotLane, WorkerSlot } from "./worker-slot.ts";
import { droppedOutcome } from "./workforce.ts";

/**
 * How much longer than the lane's average a worker's current job may run before the jobs buffered
 * behind it are taken back. Far above the jitter of a busy machine, so a flood of short jobs is not
 * recalled back and forth; far below a long job, so nothing waits behind one for long.
 */
export const RECALL_SLACK_MS = 10;
/** How often workers holding buffered jobs are checked while no frame or job arrives. */
const SWEEP_MS = 10;

/** What taking jobs back needs from the pool. */
export interface RecallHooks {
  /** A job taken back goes to the front of its priority in the lane, which needs a dispatch pass. */
  requeue(lane: SlotLane, job: PoolJob): void;
  /** Runs a dispatch pass over the lane (which checks its workers again). */
  dispatch(lane: SlotLane): void;
  /** A cancelled job turned out to run: abort its signal, and let its grace run from its start. */
  cancelRunning(slot: WorkerSlot, job: PoolJob, cancellation: Cancellation): void;
  /** A cancelled job was taken back while its module is imported: its worker has a grace to let go. */
  letGoOfImport(slot: WorkerSlot, job: PoolJob, cancellation: Cancellation): void;
}

/**
 * Taking back jobs handed ahead into a worker's buffer: a recall when its current job outlasts what
 * was expected (they then go to whichever worker is free first, in priority order with the rest of
 * the lane: work stealing), or a cancel. Each job's claim word decides who gets it (see claims.ts):
 * a job taken back never starts there, a job the worker took is left to it.
 */
export class Recall {
  readonly #ledger: JobLedger;
  readonly #hooks: RecallHooks;
  /** Lanes with jobs handed ahead, checked every SWEEP_MS while some remain. */
  readonly #watched = new Set<SlotLane>();
  #timer: NodeJS.Timeout | null = null;

  constructor(ledger: JobLedger, hooks: RecallHooks) {
    this.#ledger = ledger;
    this.#hooks = hooks;
  }

  /** Takes back the buffered jobs of the lane's workers whose current job (or import) outlasted what was expected. */
  overdue(lane: SlotLane, now: number): void {
    const expected = Number.isNaN(lane.ewma) ? 0 : lane.ewma;
    for (const slot of lane.workers) {
      if (slot.current === null || slot.leaving || slot.buffered() <= 0) continue;
      const importing = slot.currentStartedAt < 0;
      // By the pool's clock, from when it learned of the start: a pool reading a backlog of frames
      // is behind its worker, whose old start stamps say nothing of what it does now.
      const ran = now - (importing ? slot.loadingSince : slot.currentHeardAt);
      // An import's length is unknown: whatever waits behind it is taken back after the slack.
      if (ran > (importing ? 0 : expected) + RECALL_SLACK_MS) this.#takeBack(slot, false, null);
    }
  }

  /** Checks the lane's workers again in SWEEP_MS (and then every SWEEP_MS while they hold buffered jobs). */
  watch(lane: SlotLane): void {
    this.#watched.add(lane);
    this.#timer ??= setTimeout(this.#sweep, SWEEP_MS).unref();
  }

  /** Takes back a cancelled job the worker holds but has not started (buffered, or its module importing). */
  cancel(slot: WorkerSlot, job: PoolJob): void {
    this.#takeBack(slot, true, job);
  }

  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#watched.clear();
  }

  readonly #sweep = (): void => {
    // After the poll phase: a parent that was blocked reads what its workers sent before judging them.
    // Not unref'd, or the poll phase may block on (and this check wait for) the next unrelated event.
    setImmediate(this.#check);
  };

  readonly #check = (): void => {
    this.#timer = null;
    const lanes = [...this.#watched];
    this.#watched.clear();
    for (const lane of lanes) {
      // The dispatch pass recalls what is overdue (and may hand out what came back).
      this.#hooks.dispatch(lane);
      if (lane.workers.some((slot) => slot.buffered() > 0)) this.watch(lane);
    }
  };

  /**
   * Asks for `only` (a cancel, which may take a job whose module is importing) or for every job the
   * worker buffers. Descending keys: put back in front of the lane one by one, they keep their order.
   */
  #takeBack(slot: WorkerSlot, cancel: boolean, only: PoolJob | null): void {
    const keys = new Set<number>();
    if (only !== null) {
      if (!slot.withdrawing.has(only.key)) keys.add(only.key);
    } else {
      const current = slot.current;
      for (const key of slot.inflight.keys()) {
        if (key !== current?.key && !slot.withdrawing.has(key) && !slot.claimed.has(key)) keys.add(key);
      }
    }
    if (keys.size === 0) return;
    const seqs = slot.seqsOf(keys);
    const ordered = [...seqs.entries()].sort((a, b) => b[0] - a[0]);
    for (const [key] of ordered) slot.markWithdrawing(key);
    const results = slot.worker.withdraw(
      ordered.map(([, seq]) => seq),
      cancel,
    );
    if (results === null) return; // a child's control thread answers (see withdrawn)
    for (let i = 0; i < ordered.length; i++) this.withdrawn(slot, ordered[i]![1], results[i]!);
  }

  /** The answer about job `seq`: taken back (requeued, or finished if cancelled), or the worker has it. */
  withdrawn(slot: WorkerSlot, seq: number, result: WithdrawResult): void {
    if (slot.dead) return;
    const key = slot.keyOf(seq);
    const job = key === undefined ? undefined : slot.inflight.get(key);
    if (job === undefined) return; // it finished meanwhile, or the worker died
    slot.withdrawAnswered(job.key);
    const cancellation = this.#ledger.cancellation(job.key);
    if (result === LOST) {
      // The worker has it (its start is on the way): not to be asked for again.
      if (slot.current !== job) slot.markClaimed(job.key);
      if (cancellation !== undefined) this.#hooks.cancelRunning(slot, job, cancellation);
      return;
    }
    if (result === TAKEN_IMPORTING) {
      // Only a cancel takes such a job: it finishes now, and its worker stays busy with the import.
      if (cancellation !== undefined) this.#hooks.letGoOfImport(slot, job, cancellation);
      return;
    }
    if (result !== TAKEN) return;
    slot.takenBack(job.key, seq);
    if (cancellation !== undefined) this.#ledger.finish(job, droppedOutcome(), Date.now());
    else this.#hooks.requeue(slot.lane, job);
  }
}
