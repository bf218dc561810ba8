import { TaskCancelled, TaskTimeout, WorkerCrashed } from "../errors.ts";
import type { Outcome } from "../outcome.ts";
import { runsBefore } from "../priority.ts";
import { summarizeThrown, type TaskError, toTaskError } from "../task-error.ts";
import type { WithdrawResult } from "../wire/claims.ts";
import { CONFIGURE } from "../wire/protocol.ts";
import { MAX_STARTUP_FAILURES } from "./lane.ts";
import type { Cancellation, JobLedger } from "./ledger.ts";
import { IdleReaper, type RecyclePolicy } from "./recycle.ts";
import type { Runtime, WorkerExit } from "./runtime/types.ts";
import type { PoolJob } from "./types.ts";
import { type SlotLane, WorkerSlot } from "./worker-slot.ts";

/** How long a retired worker may take to exit once told to, before it is killed. */
const RETIRE_GRACE_MS = 5_000;
/**
 * A timer that expired says only that time passed: a blocked parent may not have read what the
 * worker sent meanwhile. Before acting, the pool lets the poll phase read it (setImmediate), and
 * waits in steps of this many ms, at most DEFER_TRIES times, while part of a frame is still coming.
 */
const DEFER_STEP_MS = 5;
const DEFER_TRIES = 20;

/** What the workforce needs from the pool. */
export interface WorkforceHooks {
  /** Frames a worker sent (see `RuntimeHooks.onBatches`). */
  onBatches(slot: WorkerSlot, batches: readonly unknown[][]): void;
  /** A child's control thread answered a `withdraw` (see `RuntimeHooks.onWithdrawn`). */
  onWithdrawn(slot: WorkerSlot, seq: number, result: WithdrawResult): void;
  /** The lane may have capacity or work again: run a dispatch pass. */
  dispatch(lane: SlotLane): void;
  /** A worker died while importing this module (`how`: how it ended), after its jobs were settled. */
  importKilled(moduleUrl: string, how: string): void;
  /** Workers the lane keeps started with nothing to do (`minWorkers`, see warm-up.ts). */
  floor(lane: SlotLane): number;
  /** MAX_STARTUP_FAILURES start-ups of the lane failed in a row; its waiting jobs failed with `error`. */
  startupsFailed(lane: SlotLane, error: Error): void;
}

/**
 * The workers' side of the pool: forking them (with a backoff when they fail to start), retiring
 * them (recycling), killing them (a timeout, an ignored cancel), and settling what a worker held
 * when it exits. Jobs leave a worker through the ledger, so each finishes once.
 */
export class Workforce {
  readonly #runtime: Runtime;
  readonly #ledger: JobLedger;
  readonly #recycle: RecyclePolicy;
  readonly #hooks: WorkforceHooks;
  /** One per lane when `recycle.idleTimeoutMs` is set. */
  readonly #reapers = new Map<SlotLane, IdleReaper>();
  #terminated = false;
  #draining = false;

  constructor(runtime: Runtime, ledger: JobLedger, recycle: RecyclePolicy, hooks: WorkforceHooks) {
    this.#runtime = runtime;
    this.#ledger = ledger;
    this.#recycle = recycle;
    this.#hooks = hooks;
  }

  /** Past the close deadline: nothing is forked or salvaged any more. */
  get terminated(): boolean {
    return this.#terminated;
  }

  /** For close(), past its deadline: from now on nothing is forked or salvaged. */
  terminate(): void {
    this.#terminated = true;
  }

  /** For close(): from now on a worker left idle while its lane has nothing waiting is retired at once. */
  drain(): void {
    this.#draining = true;
  }

  /** Starts managing a lane's workers. */
  addLane(lane: SlotLane): void {
    const { idleTimeoutMs, minWorkers } = this.#recycle;
    if (idleTimeoutMs !== null) {
      this.#reapers.set(lane, new IdleReaper(lane, idleTimeoutMs, minWorkers, (slot) => this.retire(slot)));
    }
  }

  /** With nothing waiting: forks the lane back up to `minWorkers` (a warm worker exited or was retired). */
  keepWarm(lane: SlotLane): void {
    if (this.#recycle.minWorkers > 0) this.maybeSpawn(lane);
  }

  /**
   * Forks workers for the lane's waiting jobs, or up to its floor (`minWorkers`), within
   * `maxWorkers` and the start-up backoff.
   */
  maybeSpawn(lane: SlotLane): void {
    if (this.#terminated || lane.retrying) return;
    const floor = this.#draining ? 0 : this.#hooks.floor(lane) - lane.active;
    let want = Math.min(lane.maxWorkers - lane.active, Math.max(lane.waiting - lane.starting, floor));
    if (want <= 0) return;
    if (lane.failureStreak > 0) {
      // Workers keep dying before they run anything: fork one at a time, spaced by the backoff.
      if (lane.starting > 0) return;
      const wait = lane.nextSpawnAt - Date.now();
      if (wait > 0) {
        lane.armRetry(wait, () => this.#hooks.dispatch(lane));
        return;
      }
      want = 1;
    }
    for (; want > 0; want--) {
      if (!this.#spawn(lane)) {
        // Now in backoff: this arms the retry timer instead of forking again at once.
        this.maybeSpawn(lane);
        return;
      }
    }
  }

  /** Forks one worker; false when the runtime refused to even create it. */
  #spawn(lane: SlotLane): boolean {
    let slot: WorkerSlot;
    try {
      slot = new WorkerSlot(
        lane,
        (s) =>
          this.#runtime.spawn({
            onBatches: (batches) => this.#hooks.onBatches(s, batches),
            onExit: (exit) => this.#onExit(s, exit),
            onWithdrawn: (seq, result) => this.#hooks.onWithdrawn(s, seq, result),
          }),
        (s, key, error) => this.#unsendable(s, key, error),
      );
    } catch (error) {
      this.#startupFailed(lane, error instanceof Error ? error.message : String(error));
      return false;
    }
    // Only a pool that recycles by memory makes its workers measure anything.
    if (this.#recycle.maxWorkerMemoryMb !== Number.POSITIVE_INFINITY) slot.worker.send([[CONFIGURE, true]]);
    lane.workerStarted(slot);
    return true;
  }

  /**
   * After a batch of the worker's frames: a retiring worker that holds nothing more is told to go
   * (before the dispatch pass, which may then fork its replacement); one still idle after the pass
   * starts its idle time.
   */
  afterBatch(slot: WorkerSlot): void {
    if (slot.retiring && !slot.leaving && slot.inflight.size === 0) this.#sendExit(slot);
    this.#hooks.dispatch(slot.lane);
    if (this.#draining) this.retireIdle(slot.lane);
    if (this.#reapers.size !== 0 && slot.accepting && slot.inflight.size === 0) {
      this.#reapers.get(slot.lane)?.idle(slot, Date.now());
    }
  }

  /**
   * For close(): retires the lane's idle workers while nothing waits in it, so that a closing pool
   * (a backend replaced by `configure()`) keeps only the workers its remaining jobs run on. A job
   * that becomes due later forks a worker as usual.
   */
  retireIdle(lane: SlotLane): void {
    if (lane.waiting > 0) return;
    for (const slot of lane.workers) {
      if (slot.accepting && slot.inflight.size === 0) this.retire(slot);
    }
  }

  /** The worker takes no new job from now on; it is told to exit once it holds nothing. */
  retire(slot: WorkerSlot): void {
    slot.retire();
    if (slot.ready && slot.inflight.size === 0 && !slot.leaving) this.#sendExit(slot);
  }

  #sendExit(slot: WorkerSlot): void {
    slot.askToExit(RETIRE_GRACE_MS);
  }

  /**
   * Arms the current job's timeout (of its run, or of its module's import: `importing` says which
   * limit it is): past it, the worker is killed and the job fails with `TaskTimeout`.
   */
  armTimeout(
    slot: WorkerSlot,
    job: PoolJob,
    timeoutMs: number,
    importing: "timeoutMs" | "importTimeoutMs" | null,
  ): void {
    slot.armDeadline(job.key, timeoutMs, () => {
      this.#expire(slot, job, () => {
        const worker = `worker ${slot.worker.id} was stopped and replaced`;
        // A job's own timeout armed for its import goes on through its run: say where it ran out.
        const stillImporting = slot.currentStartedAt < 0;
        const message =
          importing === "importTimeoutMs"
            ? `Importing ${job.moduleUrl} took longer than importTimeoutMs (${timeoutMs} ms); ${worker}`
            : importing === "timeoutMs" && stillImporting
              ? `Task exceeded its timeout of ${timeoutMs} ms while importing ${job.moduleUrl}; ${worker}`
              : `Task exceeded its timeout of ${timeoutMs} ms; ${worker}`;
        return toTaskError(new TaskTimeout(message));
      });
    });
  }

  /** Arms the grace of a cancelled running job: past it, the worker is killed. */
  armGrace(slot: WorkerSlot, job: PoolJob, cancellation: Cancellation): void {
    cancellation.timer = setTimeout(() => {
      cancellation.timer = null;
      this.#expire(slot, job, () => cancellation.error);
    }, cancellation.graceMs).unref();
  }

  /**
   * A job cancelled while its module imports has finished; its worker, still importing, is killed
   * and replaced if it has not let go of it (DROPPED) within the cancel's grace.
   */
  armLetGo(slot: WorkerSlot, job: PoolJob, cancellation: Cancellation): void {
    slot.armDeadline(job.key, cancellation.graceMs, () => this.#expire(slot, job, () => cancellation.error));
  }

  /**
   * A timer for `job` expired: unless the worker turns out to have let go of it meanwhile (its
   * frames were only waiting to be read), the worker is killed and the job fails with `error()`.
   */
  #expire(slot: WorkerSlot, job: PoolJob, error: () => TaskError, tries = 0): void {
    setImmediate(() => {
      if (slot.dead || slot.current !== job || !slot.inflight.has(job.key)) return;
      if (tries < DEFER_TRIES && slot.worker.hasPendingInput()) {
        setTimeout(() => this.#expire(slot, job, error, tries + 1), DEFER_STEP_MS).unref();
        return;
      }
      this.#stop(slot, job, error());
      // Never unref'd: with no ref'd immediate left, Node lets the poll phase block until some other
      // event comes, which delayed this kill by 6 s in a quiet pool (an immediate holds no process open).
    });
  }

  /**
   * Kills the worker still running `job` and finishes the job with `error`. The jobs it only
   * buffered go back to the lane when its exit arrives (after every frame it sent).
   */
  #stop(slot: WorkerSlot, job: PoolJob, error: TaskError): void {
    if (slot.dead || slot.current !== job || slot.release(job.key) === undefined) return;
    slot.leave();
    slot.worker.terminate();
    this.#ledger.finish(job, { ok: false, error }, Date.now());
    this.#hooks.dispatch(slot.lane); // a replacement, if work waits
  }

  /** A job's RUN frame could not be serialised: it fails, and no retry could do better. */
  #unsendable(slot: WorkerSlot, key: number, cause: unknown): void {
    // Never sent, so neither claimed nor current there: only its place among the held jobs goes.
    const job = slot.release(key);
    if (job === undefined) return;
    const error = toTaskError(
      new TypeError(
        `${job.moduleUrl}#${job.exportName}: its arguments could not be sent to worker ${slot.worker.id} (${summarizeThrown(cause)})`,
      ),
    );
    this.#ledger.finish(job, { ok: false, error: { ...error, unrecoverable: true } }, Date.now());
    // The worker may be idle now and jobs may wait for it; this runs inside a dispatch pass.
    queueMicrotask(() => this.#hooks.dispatch(slot.lane));
  }

  #onExit(slot: WorkerSlot, exit: WorkerExit): void {
    slot.markDead();
    const lane = slot.lane;
    lane.workerExited(slot);
    if (!this.#terminated) {
      const what = slot.worker.describeExit(exit);
      // The worker's own account first: it knows whose code threw (a thread's error only says what).
      const reason = slot.fatal ?? exit.reason;
      // A retired worker holds nothing, so its exit (whatever its code) settles nothing.
      if (slot.ready) this.#salvage(slot, what, reason);
      else this.#startupFailed(lane, `${what}${reason === null ? "" : `: ${reason}`} before it was ready`);
    }
    slot.markExited();
    if (!this.#terminated) this.#hooks.dispatch(lane);
  }

  /** A worker died: its claimed job fails, the jobs it only buffered go back to the front of the lane. */
  #salvage(slot: WorkerSlot, what: string, reason: string | null): void {
    const lane = slot.lane;
    const now = Date.now();
    const current = slot.current;
    let killedImport: string | null = null;
    if (current !== null && slot.release(current.key) !== undefined) {
      const importing = slot.currentStartedAt < 0;
      if (importing) {
        // A module that kills its worker on import would otherwise cost a fork per job.
        lane.recordFailure(now);
        killedImport = current.moduleUrl;
      }
      const where = `${importing ? "importing" : "running"} ${current.moduleUrl}#${current.exportName}`;
      const error = new WorkerCrashed(`${what} while ${where}${reason === null ? "" : `: ${reason}`}`);
      this.#ledger.finish(current, { ok: false, error: toTaskError(error) }, now);
    }
    // The reverse of the run order, each put in front: the lane gets them back in their original order.
    const buffered = slot.empty().sort((a, b) => (runsBefore(a, b) ? 1 : -1));
    for (const job of buffered) {
      // A cancelled job is not run elsewhere: it finishes now, with its cancellation's error.
      if (this.#ledger.cancellation(job.key) !== undefined) this.#ledger.finish(job, droppedOutcome(), now);
      else lane.unshift(job);
    }
    // After the buffered jobs are back in the lane: those of that module fail with the others.
    if (killedImport !== null) this.#hooks.importKilled(killedImport, reason === null ? what : `${what}: ${reason}`);
  }

  #startupFailed(lane: SlotLane, what: string): void {
    if (!lane.recordStartupFailure(Date.now())) return;
    const crashed = new WorkerCrashed(
      `Could not start a worker for lane '${lane.name}': ${MAX_STARTUP_FAILURES} start-ups in a row failed; the last: ${what}`,
    );
    const error = toTaskError(crashed);
    const now = Date.now();
    for (const job of lane.drain()) this.#ledger.finish(job, { ok: false, error }, now);
    this.#hooks.startupsFailed(lane, crashed);
  }

  /**
   * For close(), past its deadline: fails what the lane's workers hold with `outcome`, asks each to
   * stop (SIGTERM, SIGKILL after a grace), and returns promises of their exits.
   */
  stopAll(lane: SlotLane, outcome: Outcome, now: number): Promise<void>[] {
    this.#terminated = true;
    this.#reapers.get(lane)?.dispose();
    lane.cancelRetry();
    const exits: Promise<void>[] = [];
    for (const slot of lane.workers) {
      const held = slot.empty();
      for (const job of held) this.#ledger.finish(job, outcome, now);
      exits.push(slot.exited);
      // Told to exit already, or killed: it goes on its own.
      if (slot.leaving) continue;
      // An idle worker is asked to exit like a retired one, which it does once what its tasks wrote
      // to stdout has left (SIGKILL only after the retire grace). A busy one gets SIGTERM: it
      // finishes its current job (whose result is no longer wanted), then exits.
      if (held.length === 0 && slot.ready) this.#sendExit(slot);
      else slot.worker.kill();
    }
    return exits;
  }
}

let dropped: Outcome | null = null;

/**
 * What a job dropped for a cancellation finishes with. The ledger replaces it with the
 * cancellation's own error; this is only the fallback should there be none.
 */
export function droppedOutcome(): Outcome {
  dropped ??= { ok: false, error: toTaskError(new TaskCancelled("The task was cancelled before it started")) };
  return dropped;
}
