import { BackendClosed } from "../errors.ts";
import type { JsonValue } from "../json.ts";
import type { Outcome } from "../outcome.ts";
import { MAX_PRIORITY, MIN_PRIORITY } from "../priority.ts";
import { type TaskError, toTaskError } from "../task-error.ts";
import { MAX_TIMER_MS } from "../timers.ts";
import {
  CANCEL,
  DROPPED,
  FAILED,
  FATAL,
  LOADING,
  MEMORY,
  PROGRESS,
  READY,
  STARTED,
  SUCCEEDED,
  WARNING,
  type WorkerFrame,
} from "../wire/protocol.ts";
import { DelayedJobs } from "./delayed.ts";
import { Dispatcher } from "./dispatcher.ts";
import { ImportKills } from "./import-kills.ts";
import { Lane } from "./lane.ts";
import { type Cancellation, JobLedger } from "./ledger.ts";
import { ModuleRefs } from "./module-refs.ts";
import { Recall } from "./recall.ts";
import { type RecyclePolicy, recyclePolicy } from "./recycle.ts";
import { ProcessRuntime } from "./runtime/process.ts";
import { ThreadRuntime } from "./runtime/thread.ts";
import type { Runtime } from "./runtime/types.ts";
import type { PoolCloseOptions, PoolJob, PoolOptions, WorkerInfo } from "./types.ts";
import { WarmUp } from "./warm-up.ts";
import type { SlotLane, WorkerSlot } from "./worker-slot.ts";
import { reportWorkerWarning } from "./worker-warning.ts";
import { droppedOutcome, Workforce } from "./workforce.ts";

export type {
  PoolCloseOptions,
  PoolJob,
  PoolListener,
  PoolOptions,
  RecycleOptions,
  WorkerInfo,
} from "./types.ts";

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** `PoolOptions.importTimeoutMs` when it is left out. */
export const DEFAULT_IMPORT_TIMEOUT_MS = 30_000;

/**
 * The engine under the thread and process backends: lanes of warm workers fed from priority queues.
 *
 * Jobs wait in their lane's bucket queue (or, while `runAfter` is in the future, in one heap with one
 * timer). Dispatch runs once per microtask and per batch of worker frames; it hands idle workers a
 * job each and busy ones jobs ahead within a time budget, and takes buffered jobs back when that
 * budget was wrong (see dispatcher.ts, recall.ts). Workers are forked lazily, at most `maxWorkers`
 * per lane, replaced when they die, and retired as `PoolOptions.recycle` says (see workforce.ts). A
 * job may have a timeout and may be cancelled; a worker that does not let go of such a job in time
 * is killed and replaced.
 */
export class WorkerPool {
  readonly #ledger: JobLedger;
  readonly #lanes = new Map<string, SlotLane>();
  readonly #refs = new ModuleRefs();
  readonly #delayed: DelayedJobs;
  readonly #recycle: RecyclePolicy;
  readonly #importTimeoutMs: number | null;
  readonly #workforce: Workforce;
  readonly #importKills = new ImportKills();
  readonly #recall: Recall;
  readonly #dispatcher: Dispatcher;
  readonly #warmUp: WarmUp;
  #dirty: SlotLane[] = [];
  #dispatchQueued = false;
  #closing: Promise<void> | null = null;

  constructor(options: PoolOptions) {
    this.#ledger = new JobLedger(options.listener);
    const extra = options.execArgv ?? [];
    let runtime: Runtime;
    if (options.runtime === "process") runtime = new ProcessRuntime(extra);
    else if (options.runtime === "thread") runtime = new ThreadRuntime(extra);
    else throw new RangeError(`runtime must be "process" or "thread" (got ${String(options.runtime)})`);
    this.#recycle = recyclePolicy(options.recycle);
    const importTimeoutMs = options.importTimeoutMs === undefined ? DEFAULT_IMPORT_TIMEOUT_MS : options.importTimeoutMs;
    if (
      importTimeoutMs !== null &&
      !(Number.isInteger(importTimeoutMs) && importTimeoutMs >= 1 && importTimeoutMs <= MAX_TIMER_MS)
    ) {
      throw new RangeError(
        `importTimeoutMs must be an integer in 1..${MAX_TIMER_MS} or null (got ${String(importTimeoutMs)})`,
      );
    }
    this.#importTimeoutMs = importTimeoutMs;
    this.#workforce = new Workforce(runtime, this.#ledger, this.#recycle, {
      onBatches: (slot, batches) => this.#onBatches(slot, batches),
      onWithdrawn: (slot, seq, result) => {
        this.#recall.withdrawn(slot, seq, result);
      },
      dispatch: (lane) => this.#dispatcher.dispatch(lane),
      importKilled: (moduleUrl, how) => this.#importKilled(moduleUrl, how),
      floor: (lane) => this.#warmUp.floor(lane),
      startupsFailed: (lane, error) => this.#warmUp.gaveUp(lane, error),
    });
    this.#recall = new Recall(this.#ledger, {
      requeue: (lane, job) => {
        lane.unshift(job);
        this.#markDirty(lane);
      },
      dispatch: (lane) => this.#dispatcher.dispatch(lane),
      cancelRunning: (slot, job, cancellation) => this.#cancelRunning(slot, job, cancellation),
      letGoOfImport: (slot, job, cancellation) => {
        // The worker has it as its current job (it claimed it to import), whatever it reported yet.
        slot.startLoading(job);
        this.#ledger.finish(job, droppedOutcome(), slot.loadingSince);
        this.#workforce.armLetGo(slot, job, cancellation);
      },
    });
    this.#dispatcher = new Dispatcher(this.#refs, this.#recycle.maxTasksPerWorker, this.#workforce, this.#recall);
    for (const [name, config] of Object.entries(options.lanes)) {
      const lane: SlotLane = new Lane(name, config.maxWorkers);
      this.#lanes.set(name, lane);
      this.#workforce.addLane(lane);
    }
    this.#warmUp = new WarmUp([...this.#lanes.values()], this.#recycle.minWorkers);
    if (this.#recycle.minWorkers > 0) for (const lane of this.#lanes.values()) this.#workforce.maybeSpawn(lane);
    this.#delayed = new DelayedJobs((job) => this.#enqueue(this.#lanes.get(job.lane)!, job));
  }

  /**
   * Queues a job. Synchronous and cheap: dispatch happens on the next microtask, so the jobs submitted
   * in one tick are sent to a worker together, and in priority order.
   * @throws BackendClosed after `close()`; RangeError for an unknown lane, a priority out of range,
   *   a timeout out of 1..2^31-1, or the key of a job still pending.
   */
  submit(job: PoolJob): void {
    if (this.#closing !== null) throw new BackendClosed("The worker pool is closed and takes no new jobs.");
    const lane = this.#lanes.get(job.lane);
    if (lane === undefined) throw new RangeError(`Unknown lane '${job.lane}'`);
    const priority = job.priority;
    if (!(Number.isInteger(priority) && priority >= MIN_PRIORITY && priority <= MAX_PRIORITY)) {
      throw new RangeError(`priority must be an integer in ${MIN_PRIORITY}..${MAX_PRIORITY} (got ${priority})`);
    }
    const timeoutMs = job.timeoutMs;
    // `!= null`: a plain JavaScript caller may leave the field out altogether.
    if (timeoutMs != null && !(timeoutMs >= 1 && timeoutMs <= MAX_TIMER_MS)) {
      throw new RangeError(`timeoutMs must be a number in 1..${MAX_TIMER_MS} or null (got ${timeoutMs})`);
    }
    this.#ledger.add(job);
    if (job.runAfter !== null && job.runAfter > Date.now()) this.#delayed.add(job);
    else this.#enqueue(lane, job);
  }

  /**
   * Cancels a pending job, which then finishes with `{ ok: false, error }` whatever it does. If it
   * waits, at once: queued or delayed, inside this call; handed ahead to a busy worker, or its
   * module being imported, it is taken back without that worker's help, inside this call for a
   * thread and within a round trip of a child's control thread, and it never starts (an importing
   * worker then has `graceMs` to finish the import before it is replaced). If it runs, its
   * `context.signal` aborts, and its worker is killed and replaced if the job has not finished
   * `graceMs` later. False when no such job is pending (unknown or finished). Cancelling a job
   * again keeps the first error and grace.
   * @throws RangeError when `graceMs` is out of 0..2^31-1.
   */
  cancel(key: number, error: TaskError, graceMs: number): boolean {
    if (!(graceMs >= 0 && graceMs <= MAX_TIMER_MS)) {
      throw new RangeError(`cancel(): graceMs must be a number in 0..${MAX_TIMER_MS} (got ${graceMs})`);
    }
    const job = this.#ledger.get(key);
    if (job === undefined) return false;
    if (this.#ledger.cancellation(key) !== undefined) return true;
    const lane = this.#lanes.get(job.lane)!;
    const slot = lane.workers.find((s) => s.inflight.has(key));
    if (slot === undefined) {
      if (!this.#delayed.cancel(key)) lane.drop(key);
      this.#ledger.finish(job, { ok: false, error }, Date.now());
      return true;
    }
    const cancellation = this.#ledger.cancel(key, error, graceMs);
    // A worker being killed gives the job up with its exit, which settles it with this error.
    if (slot.leaving) return true;
    if (slot.current === job && slot.currentStartedAt >= 0) this.#cancelRunning(slot, job, cancellation);
    else this.#recall.cancel(slot, job);
    return true;
  }

  /** The cancelled job runs (or has just started): its signal aborts, its grace runs from its start. */
  #cancelRunning(slot: WorkerSlot, job: PoolJob, cancellation: Cancellation): void {
    slot.worker.send([[CANCEL, job.key, cancellation.error.message]]);
    if (slot.current === job && slot.currentStartedAt >= 0 && cancellation.timer === null) {
      this.#workforce.armGrace(slot, job, cancellation);
    }
  }

  /**
   * Resolves once every lane has `recycle.minWorkers` workers (at most its `maxWorkers`) started
   * and READY: at once without `minWorkers`. Rejects with `WorkerCrashed` when a lane's workers
   * keep failing to start, and with `BackendClosed` when the pool closes first.
   */
  ready(): Promise<void> {
    return this.#warmUp.ready();
  }

  /** Jobs submitted and not finished (waiting, delayed, buffered or running). */
  get pending(): number {
    return this.#ledger.size;
  }

  /** The live workers, starting and exiting ones included. */
  workerInfo(): WorkerInfo[] {
    const out: WorkerInfo[] = [];
    for (const lane of this.#lanes.values()) {
      for (const slot of lane.workers) {
        const { id, pid, threadId } = slot.worker;
        const busy = slot.inflight.size > 0;
        out.push({ lane: lane.name, workerId: id, pid, threadId, busy, tasksDone: slot.tasksDone, rssMb: slot.rssMb });
      }
    }
    return out;
  }

  /**
   * Stops taking jobs, lets waiting and running ones finish for up to `timeoutMs` (default 10 000),
   * fails the rest with `BackendClosed`, then ends every worker (SIGTERM, SIGKILL after a grace
   * period). Resolves once no worker is left. Calling it again returns the same promise.
   */
  close(options: PoolCloseOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_TIMER_MS)) {
      return Promise.reject(
        new RangeError(`close(): timeoutMs must be a number in 0..${MAX_TIMER_MS} (got ${String(timeoutMs)})`),
      );
    }
    this.#closing ??= this.#shutdown(timeoutMs);
    return this.#closing;
  }

  #enqueue(lane: SlotLane, job: PoolJob): void {
    if (this.#importKills.size !== 0) {
      const failed = this.#importKills.outcome(job);
      if (failed !== undefined) {
        // Not inside submit(): its caller has not finished recording the job yet.
        queueMicrotask(() => this.#ledger.finish(job, failed, Date.now()));
        return;
      }
    }
    lane.push(job);
    this.#markDirty(lane);
  }

  /** Queues a dispatch pass over the lane for the next microtask (one per lane however many jobs came). */
  #markDirty(lane: SlotLane): void {
    if (!lane.markDirty()) return;
    this.#dirty.push(lane);
    if (!this.#dispatchQueued) {
      this.#dispatchQueued = true;
      queueMicrotask(this.#dispatchDirty);
    }
  }

  readonly #dispatchDirty = (): void => {
    this.#dispatchQueued = false;
    const lanes = this.#dirty;
    this.#dirty = [];
    for (const lane of lanes) this.#dispatcher.dispatch(lane);
  };

  /** A worker died importing `moduleUrl`: its waiting jobs, in every lane, fail now (see ImportKills). */
  #importKilled(moduleUrl: string, how: string): void {
    this.#importKills.record(moduleUrl, how);
    const now = Date.now();
    for (const lane of this.#lanes.values()) {
      if (lane.waiting === 0) continue;
      // Drained in order and pushed back in order: the others keep their places.
      for (const job of lane.drain()) {
        const failed = this.#importKills.outcome(job);
        if (failed === undefined) lane.push(job);
        else this.#ledger.finish(job, failed, now);
      }
    }
  }

  #onBatches(slot: WorkerSlot, batches: readonly unknown[][]): void {
    if (slot.dead) return;
    for (const batch of batches) {
      for (const frame of batch as WorkerFrame[]) this.#onFrame(slot, frame);
    }
    this.#workforce.afterBatch(slot);
  }

  #onFrame(slot: WorkerSlot, frame: WorkerFrame): void {
    switch (frame[0]) {
      case STARTED: {
        const job = slot.inflight.get(frame[1]);
        if (job === undefined) return;
        slot.startRunning(job, frame[2]);
        slot.lane.workerRan();
        if (slot.deadlineKey === job.key) {
          // Its import was timed: against its own timeout, which goes on, or the import timeout, which ends.
          if (job.timeoutMs == null) slot.clearDeadline();
        } else {
          slot.clearDeadline();
          // A job without a timeout arms nothing: no timer on the common path.
          if (job.timeoutMs != null) this.#workforce.armTimeout(slot, job, job.timeoutMs, null);
        }
        const cancellation = this.#ledger.cancellation(job.key);
        // Cancelled while buffered, and the worker won the race to it: it runs, so stop it as such.
        if (cancellation !== undefined) this.#cancelRunning(slot, job, cancellation);
        this.#ledger.started(job, slot.worker.id, frame[2]);
        return;
      }
      case SUCCEEDED:
        // Parsed with the line, or by payload.ts: a value by now, never text.
        this.#settle(slot, frame[1], frame[2], { ok: true, value: frame[3] as JsonValue });
        return;
      case FAILED:
        this.#settle(slot, frame[1], frame[2], { ok: false, error: frame[3] });
        return;
      case PROGRESS: {
        const job = slot.inflight.get(frame[1]);
        if (job !== undefined) this.#ledger.progress(job, frame[2]);
        return;
      }
      case LOADING: {
        const job = slot.inflight.get(frame[1]);
        if (job === undefined) return;
        slot.startLoading(job);
        // Already cancelled (and finished) while the import began: its let-go timer runs.
        if (slot.deadlineKey === job.key) return;
        // The import counts against the job's timeout; without one, the import timeout bounds it.
        const limit = job.timeoutMs ?? this.#importTimeoutMs;
        const which = job.timeoutMs != null ? "timeoutMs" : "importTimeoutMs";
        if (limit !== null) this.#workforce.armTimeout(slot, job, limit, which);
        return;
      }
      case READY:
        slot.markReady();
        this.#warmUp.workerReady(slot.lane);
        return;
      case FATAL:
        slot.reportFatal(frame[1]);
        return;
      case DROPPED: {
        const job = slot.release(frame[1]);
        if (job === undefined) return;
        // Finished already when it was taken back; otherwise this came before the control's answer.
        this.#ledger.finish(job, droppedOutcome(), Date.now());
        return;
      }
      case MEMORY:
        slot.reportMemory(frame[1]);
        if (frame[1] > this.#recycle.maxWorkerMemoryMb) this.#workforce.retire(slot);
        return;
      case WARNING:
        reportWorkerWarning(frame[1], frame[2]);
        return;
    }
  }

  #settle(slot: WorkerSlot, key: number, at: number, outcome: Outcome): void {
    const job = slot.finish(key, at);
    if (job === undefined) return;
    this.#ledger.finish(job, outcome, at);
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    // Held until the last worker is gone, so that an awaited close() is not cut short by Node exiting.
    this.#ledger.hold();
    this.#warmUp.close(new BackendClosed("The worker pool was closed before its workers were ready"));
    const deadline = Date.now() + timeoutMs;
    const closed: Outcome = {
      ok: false,
      error: toTaskError(
        new BackendClosed(`The worker pool was closed before the task finished (timeout ${timeoutMs} ms)`),
      ),
    };
    // Jobs that cannot become eligible before the deadline would only hold close() up.
    for (const job of this.#delayed.take((j) => (j.runAfter ?? 0) > deadline)) {
      this.#ledger.finish(job, closed, Date.now());
    }
    this.#workforce.drain();
    for (const lane of this.#lanes.values()) this.#workforce.retireIdle(lane);
    if (this.#ledger.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#ledger.onDrained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#ledger.onDrained = null;
    }
    this.#workforce.terminate();
    const now = Date.now();
    for (const job of this.#delayed.take(() => true)) this.#ledger.finish(job, closed, now);
    this.#delayed.dispose();
    this.#recall.dispose();
    const exits: Promise<void>[] = [];
    for (const lane of this.#lanes.values()) {
      for (const job of lane.drain()) this.#ledger.finish(job, closed, now);
      exits.push(...this.#workforce.stopAll(lane, closed, now));
    }
    await Promise.all(exits);
    this.#ledger.dispose();
  }
}
