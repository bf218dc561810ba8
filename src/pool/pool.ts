import { BackendClosed, WorkerCrashed } from "../errors.ts";
import type { Outcome } from "../run-task.ts";
import { toTaskError } from "../task-error.ts";
import { MAX_PRIORITY, MIN_PRIORITY } from "./bucket-queue.ts";
import { DelayedJobs } from "./delayed.ts";
import { KeepAlive } from "./keep-alive.ts";
import { Lane, MAX_STARTUP_FAILURES } from "./lane.ts";
import { ModuleRefs } from "./module-refs.ts";
import {
  DEFINE,
  FAILED,
  FATAL,
  LOADING,
  PROGRESS,
  READY,
  RUN,
  STARTED,
  SUCCEEDED,
  type WorkerFrame,
} from "./protocol.ts";
import { ProcessRuntime } from "./runtime/process.ts";
import { ThreadRuntime } from "./runtime/thread.ts";
import type { Runtime, WorkerExit } from "./runtime/types.ts";
import type { PoolCloseOptions, PoolJob, PoolListener, PoolOptions, WorkerInfo } from "./types.ts";
import { WorkerSlot } from "./worker-slot.ts";

export type { PoolCloseOptions, PoolJob, PoolListener, PoolOptions, WorkerInfo } from "./types.ts";

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/**
 * The engine under the thread and process backends: lanes of warm workers fed from priority queues.
 *
 * Jobs wait in their lane's bucket queue (or, while `runAfter` is in the future, in one heap with one
 * timer). Dispatch runs once per microtask and per batch of worker frames; it hands each worker jobs
 * up to a time-bounded credit (see `Lane.holdLimit`) and sends what it handed as one batch per worker.
 * Workers are forked lazily, at most `maxWorkers` per lane, and replaced when they die.
 */
export class WorkerPool {
  readonly #listener: PoolListener;
  readonly #runtime: Runtime;
  readonly #lanes = new Map<string, Lane>();
  readonly #refs = new ModuleRefs();
  readonly #keepAlive = new KeepAlive();
  readonly #delayed: DelayedJobs;
  #pending = 0;
  #dirty: Lane[] = [];
  #dispatchQueued = false;
  #closing: Promise<void> | null = null;
  /** Past the close deadline: nothing is dispatched or forked any more. */
  #terminated = false;
  #onDrained: (() => void) | null = null;

  constructor(options: PoolOptions) {
    this.#listener = options.listener;
    const extra = options.execArgv ?? [];
    if (options.runtime === "process") this.#runtime = new ProcessRuntime(extra);
    else if (options.runtime === "thread") this.#runtime = new ThreadRuntime(extra);
    else throw new RangeError(`runtime must be "process" or "thread" (got ${String(options.runtime)})`);
    for (const [name, lane] of Object.entries(options.lanes)) this.#lanes.set(name, new Lane(name, lane.maxWorkers));
    this.#delayed = new DelayedJobs((job) => this.#enqueue(this.#lanes.get(job.lane)!, job));
  }

  /**
   * Queues a job. Synchronous and cheap: dispatch happens on the next microtask, so the jobs submitted
   * in one tick are sent to a worker together, and in priority order.
   * @throws BackendClosed after `close()`; RangeError for an unknown lane or a priority out of range.
   */
  submit(job: PoolJob): void {
    if (this.#closing !== null) throw new BackendClosed("The worker pool is closed and takes no new jobs.");
    const lane = this.#lanes.get(job.lane);
    if (lane === undefined) throw new RangeError(`Unknown lane '${job.lane}'`);
    const priority = job.priority;
    if (!(Number.isInteger(priority) && priority >= MIN_PRIORITY && priority <= MAX_PRIORITY)) {
      throw new RangeError(`priority must be an integer in ${MIN_PRIORITY}..${MAX_PRIORITY} (got ${priority})`);
    }
    if (++this.#pending === 1) this.#keepAlive.set(true);
    if (job.runAfter !== null && job.runAfter > Date.now()) this.#delayed.add(job);
    else this.#enqueue(lane, job);
  }

  /** Jobs submitted and not finished (waiting, delayed, buffered or running). */
  get pending(): number {
    return this.#pending;
  }

  /** The live workers, starting ones included. */
  workerInfo(): WorkerInfo[] {
    const out: WorkerInfo[] = [];
    for (const lane of this.#lanes.values()) {
      for (const slot of lane.workers) {
        const { id, pid, threadId } = slot.worker;
        out.push({ lane: lane.name, workerId: id, pid, threadId, busy: slot.inflight.size > 0 });
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
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(new RangeError(`close(): timeoutMs must be a number >= 0 (got ${String(timeoutMs)})`));
    }
    this.#closing ??= this.#shutdown(timeoutMs);
    return this.#closing;
  }

  #enqueue(lane: Lane, job: PoolJob): void {
    lane.queue.push(job);
    if (lane.dirty) return;
    lane.dirty = true;
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
    for (const lane of lanes) this.#dispatch(lane);
  };

  /** Hands waiting jobs to the lane's ready workers, sends them, and forks workers if some still wait. */
  #dispatch(lane: Lane): void {
    lane.dirty = false;
    const queue = lane.queue;
    if (queue.size === 0 || this.#terminated) return;
    const workers = lane.workers;
    // Idle workers first, so that a few jobs spread over the lane instead of piling into one buffer.
    for (let i = 0; i < workers.length && queue.size > 0; i++) {
      const slot = workers[i]!;
      if (slot.ready && slot.inflight.size === 0) this.#give(slot, queue.pop()!);
    }
    const limit = lane.holdLimit();
    for (let gave = limit > 1; gave && queue.size > 0; ) {
      gave = false;
      for (let i = 0; i < workers.length && queue.size > 0; i++) {
        const slot = workers[i]!;
        if (slot.ready && slot.inflight.size < limit) {
          this.#give(slot, queue.pop()!);
          gave = true;
        }
      }
    }
    for (const slot of workers) slot.flush();
    if (queue.size > 0) this.#maybeSpawn(lane);
  }

  #give(slot: WorkerSlot, job: PoolJob): void {
    const ref = this.#refs.ref(job.moduleUrl, job.exportName);
    if (slot.knownRefs[ref] !== true) {
      slot.knownRefs[ref] = true;
      slot.out.push([DEFINE, ref, job.moduleUrl, job.exportName]);
    }
    slot.out.push([RUN, job.key, ref, job.priority, job.args, job.resultId, job.attempt, job.contextMeta ?? 0]);
    slot.inflight.set(job.key, job);
  }

  #maybeSpawn(lane: Lane): void {
    if (this.#terminated || lane.retryTimer !== null) return;
    let want = Math.min(lane.maxWorkers - lane.workers.length, lane.queue.size - lane.starting);
    if (want <= 0) return;
    if (lane.failureStreak > 0) {
      // Workers keep dying before they run anything: fork one at a time, spaced by the backoff.
      if (lane.starting > 0) return;
      const wait = lane.nextSpawnAt - Date.now();
      if (wait > 0) {
        lane.retryTimer = setTimeout(() => {
          lane.retryTimer = null;
          this.#dispatch(lane);
        }, wait).unref();
        return;
      }
      want = 1;
    }
    for (; want > 0; want--) {
      if (!this.#spawn(lane)) {
        // Now in backoff: this arms the retry timer instead of forking again at once.
        this.#maybeSpawn(lane);
        return;
      }
    }
  }

  /** Forks one worker; false when the runtime refused to even create it. */
  #spawn(lane: Lane): boolean {
    const slot = new WorkerSlot(lane);
    try {
      slot.worker = this.#runtime.spawn({
        onBatches: (batches) => this.#onBatches(slot, batches),
        onExit: (exit) => this.#onExit(slot, exit),
      });
    } catch (error) {
      this.#startupFailed(lane, error instanceof Error ? error.message : String(error));
      return false;
    }
    lane.workers.push(slot);
    lane.starting++;
    return true;
  }

  #onBatches(slot: WorkerSlot, batches: readonly unknown[][]): void {
    if (slot.dead) return;
    for (const batch of batches) {
      for (const frame of batch as WorkerFrame[]) this.#onFrame(slot, frame);
    }
    this.#dispatch(slot.lane);
  }

  #onFrame(slot: WorkerSlot, frame: WorkerFrame): void {
    switch (frame[0]) {
      case STARTED: {
        const job = slot.inflight.get(frame[1]);
        if (job === undefined) return;
        slot.current = job;
        slot.currentStartedAt = frame[2];
        slot.lane.failureStreak = 0;
        slot.fatal = null; // an earlier uncaught error that user code survived is not this job's
        try {
          this.#listener.onStart(job, slot.worker.id, frame[2]);
        } catch (error) {
          warnListener("onStart", error);
        }
        return;
      }
      case SUCCEEDED:
        this.#settle(slot, frame[1], frame[2], { ok: true, value: frame[3] });
        return;
      case FAILED:
        this.#settle(slot, frame[1], frame[2], { ok: false, error: frame[3] });
        return;
      case PROGRESS: {
        const job = slot.inflight.get(frame[1]);
        if (job === undefined) return;
        try {
          this.#listener.onProgress(job, frame[2]);
        } catch (error) {
          warnListener("onProgress", error);
        }
        return;
      }
      case LOADING: {
        const job = slot.inflight.get(frame[1]);
        if (job === undefined) return;
        slot.current = job;
        slot.currentStartedAt = -1;
        return;
      }
      case READY:
        if (slot.ready) return;
        slot.ready = true;
        slot.lane.starting--;
        slot.lane.startupFailures = 0;
        return;
      case FATAL:
        slot.fatal = frame[1];
        return;
    }
  }

  #settle(slot: WorkerSlot, key: number, at: number, outcome: Outcome): void {
    const job = slot.inflight.get(key);
    if (job === undefined) return;
    slot.inflight.delete(key);
    if (slot.current === job) {
      if (slot.currentStartedAt >= 0) slot.lane.recordRunTime(at - slot.currentStartedAt);
      slot.current = null;
    }
    this.#finish(job, outcome, at);
  }

  #finish(job: PoolJob, outcome: Outcome, at: number): void {
    if (--this.#pending === 0) {
      if (this.#closing === null) this.#keepAlive.set(false);
      this.#onDrained?.();
    }
    try {
      this.#listener.onFinish(job, outcome, at);
    } catch (error) {
      warnListener("onFinish", error);
    }
  }

  #onExit(slot: WorkerSlot, exit: WorkerExit): void {
    slot.dead = true;
    const lane = slot.lane;
    const index = lane.workers.indexOf(slot);
    if (index >= 0) lane.workers.splice(index, 1);
    if (!slot.ready) lane.starting--;
    if (!this.#terminated) {
      const what = slot.worker.describeExit(exit);
      const reason = exit.reason ?? slot.fatal;
      if (slot.ready) this.#salvage(slot, what, reason);
      else this.#startupFailed(lane, `${what}${reason === null ? "" : `: ${reason}`} before it was ready`);
    }
    slot.markExited();
    if (!this.#terminated) this.#dispatch(lane);
  }

  /** A worker died: its claimed job fails, the jobs it only buffered go back to the front of the lane. */
  #salvage(slot: WorkerSlot, what: string, reason: string | null): void {
    const lane = slot.lane;
    const now = Date.now();
    const current = slot.current;
    if (current !== null && slot.inflight.delete(current.key)) {
      const importing = slot.currentStartedAt < 0;
      // A module that kills its worker on import would otherwise cost a fork per job.
      if (importing) lane.recordFailure(now);
      const where = `${importing ? "importing" : "running"} ${current.moduleUrl}#${current.exportName}`;
      const error = new WorkerCrashed(`${what} while ${where}${reason === null ? "" : `: ${reason}`}`);
      this.#finish(current, { ok: false, error: toTaskError(error) }, now);
    }
    slot.current = null;
    // Descending keys, each put in front: the lane gets them back in their original order.
    const buffered = [...slot.inflight.values()].sort((a, b) => b.key - a.key);
    slot.inflight.clear();
    for (const job of buffered) lane.queue.unshift(job);
  }

  #startupFailed(lane: Lane, what: string): void {
    lane.startupFailures++;
    lane.recordFailure(Date.now());
    if (lane.startupFailures < MAX_STARTUP_FAILURES) return;
    lane.startupFailures = 0;
    const error = toTaskError(
      new WorkerCrashed(
        `Could not start a worker for lane '${lane.name}': ${MAX_STARTUP_FAILURES} start-ups in a row failed; the last: ${what}`,
      ),
    );
    const now = Date.now();
    for (const job of lane.queue.drain()) this.#finish(job, { ok: false, error }, now);
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    // Held until the last worker is gone, so that an awaited close() is not cut short by Node exiting.
    this.#keepAlive.set(true);
    const deadline = Date.now() + timeoutMs;
    const closedError = toTaskError(
      new BackendClosed(`The worker pool was closed before the task finished (timeout ${timeoutMs} ms)`),
    );
    // Jobs that cannot become eligible before the deadline would only hold close() up.
    for (const job of this.#delayed.take((j) => (j.runAfter ?? 0) > deadline)) {
      this.#finish(job, { ok: false, error: closedError }, Date.now());
    }
    if (this.#pending > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#onDrained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#onDrained = null;
    }
    this.#terminated = true;
    const now = Date.now();
    for (const job of this.#delayed.take(() => true)) this.#finish(job, { ok: false, error: closedError }, now);
    this.#delayed.dispose();
    const exits: Promise<void>[] = [];
    for (const lane of this.#lanes.values()) {
      if (lane.retryTimer !== null) clearTimeout(lane.retryTimer);
      lane.retryTimer = null;
      for (const job of lane.queue.drain()) this.#finish(job, { ok: false, error: closedError }, now);
      for (const slot of lane.workers) {
        const held = [...slot.inflight.values()];
        slot.inflight.clear();
        slot.current = null;
        for (const job of held) this.#finish(job, { ok: false, error: closedError }, now);
        slot.worker.kill();
        exits.push(slot.exited);
      }
    }
    await Promise.all(exits);
    this.#keepAlive.dispose();
  }
}

function warnListener(hook: string, error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`tasklane: the pool listener's ${hook} threw: ${text}`, { code: "TASKLANE_LISTENER_ERROR" });
}
