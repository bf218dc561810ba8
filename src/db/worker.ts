import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { DatabaseBackend } from "../backends/database.ts";
import { SHARED_LANE } from "../backends/pool-options.ts";
import { retryDelay } from "../backoff.ts";
import { messageOf } from "../describe.ts";
import { BackendClosed, WorkerLost } from "../errors.ts";
import { taskEvents } from "../events.ts";
import { activeLogger } from "../log.ts";
import type { Outcome } from "../outcome.ts";
import { WorkerPool } from "../pool/pool.ts";
import type { PoolJob } from "../pool/types.ts";
import type { TaskProgress } from "../progress.ts";
import { TaskResult, TaskResultStatus } from "../result.ts";
import type { AnyTask } from "../task.ts";
import { type TaskError, toTaskError } from "../task-error.ts";
import { splitModulePath } from "../task-loader.ts";
import { type HeldLease, LeaseReaper, retryPolicyOf } from "./reaper.ts";
import type { Claim, RenewResult, Settlement, TaskRow, TaskStore } from "./store.ts";

/** Options of a `DatabaseWorker` (what `tasklane worker` parses from its command line). */
export interface DatabaseWorkerOptions {
  /** Queues to take tasks from, or "*" for all. */
  readonly queues: readonly string[] | "*";
  /** With "*": queues never to take tasks from. */
  readonly excludeQueues: readonly string[];
  /** Child workers of the shared lane (queues without their own `options.queues` entry). */
  readonly concurrency: number;
  /** Idle poll interval, ms. */
  readonly intervalMs: number;
  /** Run what is ready, then stop. */
  readonly batch: boolean;
  /** Stop after claiming this many tasks (null: no limit). */
  readonly maxTasks: number | null;
  /** Recorded in every claimed row; unique per worker. */
  readonly workerId: string;
  /** A line for the log (the CLI prints it). `level` 1 = info, 2 = debug. */
  readonly log?: (level: 1 | 2, line: string) => void;
}

/** Why `run()` ended. */
export type WorkerEnd = "batch-done" | "max-tasks" | "stopped" | "aborted";

/** A worker id nobody else has: host, pid and randomness, within django-tasks-db's 64 characters. */
export function defaultWorkerId(): string {
  return `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

interface Held {
  readonly claim: Claim;
  readonly row: TaskRow;
  readonly lane: string;
  readonly task: AnyTask | null;
  /** Set when the lease was lost: the outcome is not ours to record any more. */
  lost: boolean;
  /** The last progress sent, to skip repeats. */
  progressAt: number;
  /** When its child started it (the pool's clock), or -1. */
  startedAt: number;
  /**
   * The progress write in flight, if any, and the latest report waiting behind it. Writes go one
   * at a time per task (on PostgreSQL two pooled connections could apply them out of order) and the
   * settlement waits for the last one: the finished row keeps the task's final report.
   */
  progressWrite: Promise<void> | null;
  progressNext: TaskProgress | null;
}

type Loaded = { task: AnyTask; error: null } | { task: null; error: TaskError };

/**
 * Claiming ahead: a lane whose tasks are short claims, beyond one row per free child, what its
 * children would get through in about this many ms at their measured pace, so that they never wait
 * for a claim round trip between two short tasks. A lane of long tasks (or one not yet measured)
 * claims only for its free children: a row is never held back from another worker for longer
 * than this.
 */
const CLAIM_AHEAD_MS = 5;
/** At most this many rows ahead per child, however short the tasks. */
const MAX_AHEAD_PER_CHILD = 32;
/** Weight of the newest run time in a lane's moving average. */
const EWMA_WEIGHT = 0.2;

/** The longest the worker sleeps between lease renewals (and cancel checks). */
const MAX_RENEW_EVERY_MS = 1000;

/**
 * `tasklane worker`: claims READY rows as its process pool has free child workers, runs them there,
 * and records each outcome, fenced by its claim. It renews the leases of what it holds from this
 * (the parent) process, so a CPU-bound task never starves the renewal; it reaps rows whose lease
 * ran out (their worker died) and records that attempt as `WorkerLost`, retried if allowed; it
 * stops a task another process cancelled.
 */
export class DatabaseWorker {
  readonly #backend: DatabaseBackend;
  readonly #options: DatabaseWorkerOptions;
  readonly #store: TaskStore;
  readonly #pool: WorkerPool;
  /** Lane name → the queue filter its claims use. */
  readonly #lanes: Map<string, { queues: readonly string[] | "*"; exclude: readonly string[]; max: number }>;
  readonly #held = new Map<number, Held>();
  readonly #heldPerLane = new Map<string, number>();
  /** Each lane's moving average run time in ms (NaN until a task of it ran). */
  readonly #runMs = new Map<string, number>();
  /**
   * Claims this process holds but has not handed over yet: rows whose task definition is being
   * imported after a claim or a take-over. Their leases are renewed like those of running tasks,
   * or a module slower to import than the lease would see its row reaped from under it.
   */
  readonly #loading = new Map<string, HeldLease>();
  readonly #reaper: LeaseReaper;
  #nextKey = 1;
  #claimed = 0;
  #pendingSettle: { key: number; settlement: Settlement; outcome: Outcome }[] = [];
  #settleScheduled = false;
  #settleRetryMs = 0;
  #claiming = false;
  #claimAgain = false;
  #stopping = false;
  #aborted = false;
  #end: ((end: WorkerEnd) => void) | null = null;
  #endReason: WorkerEnd | null = null;
  #poll: NodeJS.Timeout | null = null;
  #renew: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;
  #unsubscribeEvents: (() => void) | null = null;
  #abortError: TaskError | null = null;

  constructor(backend: DatabaseBackend, store: TaskStore, options: DatabaseWorkerOptions) {
    this.#backend = backend;
    this.#store = store;
    this.#options = options;
    this.#reaper = new LeaseReaper(backend, store, options.workerId, this.#loading, (line) => this.#log(1, line));
    const { lanes, recycle } = backend.settings;
    const poolLanes: Record<string, { maxWorkers: number }> = {};
    this.#lanes = new Map();
    const dedicated = Object.keys(lanes).filter((name) => name !== SHARED_LANE);
    for (const [name, lane] of Object.entries(lanes)) {
      const max = name === SHARED_LANE ? options.concurrency : lane.maxWorkers;
      if (name === SHARED_LANE) {
        const queues = options.queues === "*" ? "*" : options.queues.filter((q) => !dedicated.includes(q));
        if (queues !== "*" && queues.length === 0) continue;
        this.#lanes.set(name, { queues, exclude: [...options.excludeQueues, ...dedicated], max });
      } else {
        const wanted = options.queues === "*" ? !options.excludeQueues.includes(name) : options.queues.includes(name);
        if (!wanted) continue;
        this.#lanes.set(name, { queues: [name], exclude: [], max });
      }
      poolLanes[name] = { maxWorkers: max };
      this.#heldPerLane.set(name, 0);
    }
    this.#pool = new WorkerPool({
      runtime: "process",
      lanes: poolLanes,
      importTimeoutMs: this.#backend.settings.importTimeoutMs,
      ...(recycle === null ? {} : { recycle }),
      listener: {
        onStart: (job, workerId, at) => this.#onStart(job.key, workerId, at),
        onProgress: (job, progress) => this.#onProgress(job.key, progress),
        onFinish: (job, outcome, at) => this.#onFinish(job, outcome, at),
      },
    });
  }

  /** Claimed tasks not finished yet. */
  get running(): number {
    return this.#held.size;
  }

  /** Runs until the batch is done, `maxTasks` were run, or `stop()`/`abort()`; resolves with why. */
  run(): Promise<WorkerEnd> {
    const ended = new Promise<WorkerEnd>((resolve) => {
      this.#end = resolve;
    });
    this.#log(
      1,
      `Worker ${this.#options.workerId} started: queues ${this.#describeQueues()}, ${this.#describeLanes()}`,
    );
    this.#unsubscribe = this.#store.onReady(() => this.#claimSoon());
    this.#unsubscribeEvents = this.#backend.onStoreEvent((message) => this.#log(1, message));
    this.#schedulePoll();
    this.#scheduleRenew();
    void this.#reaper.reap().finally(() => this.#claimSoon());
    return ended.then(async (end) => {
      await this.#shutdown();
      return end;
    });
  }

  /** Claims nothing more; running tasks finish; then `run()` resolves "stopped". */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#log(
      1,
      `Worker ${this.#options.workerId} stopping: claiming nothing more; ${this.#held.size} running task(s) may finish.`,
    );
    this.#maybeEnd();
  }

  /** Stops the running tasks now (they end FAILED with `reason`), then `run()` resolves "aborted". */
  abort(reason: string): void {
    this.#stopping = true;
    this.#aborted = true;
    this.#abortError = toTaskError(new BackendClosed(reason));
    void this.#pool.close({ timeoutMs: 0 });
    this.#maybeEnd();
  }

  #claimSoon(): void {
    if (this.#claiming) {
      this.#claimAgain = true;
      return;
    }
    this.#claiming = true;
    void this.#claimPass().finally(() => {
      this.#claiming = false;
      this.#maybeEnd();
    });
  }

  async #claimPass(): Promise<void> {
    do {
      this.#claimAgain = false;
      // Drained: every lane with a free worker asked for more than was ready.
      let drained = true;
      for (const [lane, filter] of this.#lanes) {
        if (this.#stopping) return;
        const free = filter.max + this.#ahead(lane, filter.max) - (this.#heldPerLane.get(lane) ?? 0);
        const limit = Math.min(free, this.#remaining());
        if (limit <= 0) {
          if (free <= 0) drained = false;
          continue;
        }
        let claims: Claim[];
        try {
          claims = await this.#store.claim({
            workerId: this.#options.workerId,
            queues: filter.queues,
            excludeQueues: filter.exclude,
            limit,
            leaseMs: this.#backend.leaseMs,
          });
        } catch (error) {
          this.#log(1, `Claim failed (retrying at the next poll): ${messageOf(error)}`);
          return;
        }
        this.#claimed += claims.length;
        if (claims.length === limit) drained = false;
        // Loaded first, then handed over in one synchronous run, so the pool sends what one child
        // gets from a claim as one write. A start per microtask made a write (and a wake-up of the
        // child) per task: 1.1 write syscalls per task in this process in a no-op flood, 0.3 now
        // (`node bench/pg-cpu.mjs`).
        for (const { row, token } of claims) this.#loading.set(row.id, { id: row.id, token });
        const loaded = await Promise.all(claims.map((claim) => this.#load(claim.row)));
        for (const [i, claim] of claims.entries()) {
          this.#loading.delete(claim.row.id);
          this.#start(claim, lane, loaded[i] as Loaded);
        }
      }
      this.#drained = drained;
    } while (this.#claimAgain && !this.#stopping);
  }

  #drained = false;

  /** How many rows the lane may hold beyond one per child (see CLAIM_AHEAD_MS). */
  #ahead(lane: string, children: number): number {
    const runMs = this.#runMs.get(lane);
    if (runMs === undefined || Number.isNaN(runMs)) return 0;
    const perChild = Math.min(MAX_AHEAD_PER_CHILD, Math.floor(CLAIM_AHEAD_MS / Math.max(runMs, 0.01)));
    return perChild * children;
  }

  #remaining(): number {
    const max = this.#options.maxTasks;
    return max === null ? Number.POSITIVE_INFINITY : max - this.#claimed;
  }

  /** The row's task definition, or why it cannot be loaded here. */
  async #load(row: TaskRow): Promise<Loaded> {
    try {
      return { task: await this.#backend.taskOf(row), error: null };
    } catch (error) {
      return { task: null, error: toTaskError(error) };
    }
  }

  /** Hands a claimed row to the pool; a row whose task cannot even be loaded here fails at once. */
  #start(claim: Claim, lane: string, loaded: Loaded): void {
    const row = claim.row;
    const { task, error: loadError } = loaded;
    const key = this.#nextKey++;
    const held: Held = {
      claim,
      row,
      lane,
      task,
      lost: false,
      progressAt: 0,
      startedAt: -1,
      progressWrite: null,
      progressNext: null,
    };
    this.#held.set(key, held);
    this.#heldPerLane.set(lane, (this.#heldPerLane.get(lane) ?? 0) + 1);
    this.#log(2, `Task id=${row.id} path=${row.taskPath} state=RUNNING`);
    const { moduleUrl, exportName } = splitModulePath(row.taskPath);
    const job: PoolJob = {
      key,
      moduleUrl,
      exportName,
      args: row.args,
      priority: row.priority,
      lane,
      runAfter: null,
      resultId: row.id,
      attempt: row.workerIds.length,
      timeoutMs: row.timeoutMs,
      contextMeta: task?.takesContext
        ? {
            id: row.id,
            backend: this.#backend.alias,
            enqueuedAt: row.enqueuedAt,
            startedAt: row.startedAt,
            // The row holds this worker's id for the attempt: the task sees that, not its child's.
            workerIds: row.workerIds.slice(0, -1),
            attemptWorkerId: row.workerIds.at(-1) ?? this.#options.workerId,
            errors: [...row.errors],
            ...(row.scheduledAt === null ? {} : { scheduledAt: row.scheduledAt }),
          }
        : null,
    };
    if (loadError !== null) {
      this.#onFinish(job, { ok: false, error: loadError }, Date.now());
      return;
    }
    try {
      this.#pool.submit(job);
    } catch (error) {
      this.#onFinish(job, { ok: false, error: toTaskError(error) }, Date.now());
    }
  }

  #onStart(key: number, _childId: string, at: number): void {
    const held = this.#held.get(key);
    if (held === undefined) return;
    held.startedAt = at;
    if (held.task === null || !taskEvents.has("taskStarted")) return;
    const state = this.#backend.stateOf(held.row, held.task);
    state.startedAt ??= at;
    taskEvents.emit("taskStarted", new TaskResult(state));
  }

  #onProgress(key: number, progress: TaskProgress): void {
    const held = this.#held.get(key);
    if (held === undefined || held.lost) return;
    this.#writeProgress(held, progress);
    // Like taskStarted and taskFinished, where the task runs: in this process, not the enqueuer's.
    if (held.task !== null && taskEvents.has("taskProgress")) {
      const state = this.#backend.stateOf(held.row, held.task);
      state.progress = progress;
      taskEvents.emit("taskProgress", new TaskResult(state));
    }
  }

  /** Only the newest report waits while a write is in flight; older ones are superseded. */
  #writeProgress(held: Held, progress: TaskProgress): void {
    if (held.progressWrite !== null) {
      held.progressNext = progress;
      return;
    }
    held.progressWrite = this.#store
      .progress(held.row.id, held.claim.token, progress)
      .then(
        () => {},
        (error: unknown) => this.#log(2, `Progress of ${held.row.id} not recorded: ${messageOf(error)}`),
      )
      .then(() => {
        held.progressWrite = null;
        const next = held.progressNext;
        held.progressNext = null;
        if (next !== null && !held.lost) this.#writeProgress(held, next);
        return held.progressWrite ?? undefined;
      });
  }

  #onFinish(job: PoolJob, outcome: Outcome, at: number): void {
    const held = this.#held.get(job.key);
    if (held === undefined) return;
    if (held.startedAt >= 0) {
      const ran = Math.max(0, at - held.startedAt);
      const before = this.#runMs.get(held.lane);
      this.#runMs.set(held.lane, before === undefined ? ran : before + EWMA_WEIGHT * (ran - before));
    }
    if (held.lost) {
      this.#release(job.key, held);
      return;
    }
    if (!outcome.ok && this.#abortError !== null && outcome.error.code === "TASKLANE_BACKEND_CLOSED") {
      outcome = { ok: false, error: this.#abortError };
    }
    const { id } = held.row;
    const token = held.claim.token;
    let settlement: Settlement;
    if (outcome.ok) {
      settlement = { id, token, kind: "succeeded", value: outcome.value };
    } else {
      const delay = this.#aborted
        ? null
        : retryDelay(retryPolicyOf(held.row, held.task), outcome.error, held.row.workerIds.length);
      settlement =
        delay === null
          ? { id, token, kind: "failed", error: outcome.error }
          : { id, token, kind: "retry", error: outcome.error, delayMs: delay };
    }
    this.#pendingSettle.push({ key: job.key, settlement, outcome });
    if (!this.#settleScheduled) {
      this.#settleScheduled = true;
      // After the I/O phase: every outcome the pool read in this turn goes into one transaction.
      setImmediate(() => void this.#flushSettlements());
    }
  }

  async #flushSettlements(): Promise<void> {
    this.#settleScheduled = false;
    const batch = this.#pendingSettle;
    this.#pendingSettle = [];
    // The last progress reports first (fenced writes: after the settlement they would be refused).
    const writes = batch.map((b) => this.#held.get(b.key)?.progressWrite).filter((w) => w != null);
    if (writes.length > 0) await Promise.all(writes);
    let recorded: boolean[];
    try {
      recorded = await this.#store.settle(batch.map((b) => b.settlement));
      this.#settleRetryMs = 0;
    } catch (error) {
      // The database is unreachable: keep the claims and try again (their leases are still renewed;
      // should they run out meanwhile, the fenced write is refused and the reaper's record stands).
      this.#settleRetryMs = Math.min(5000, Math.max(100, this.#settleRetryMs * 2));
      this.#log(
        1,
        `Could not record ${batch.length} outcome(s): ${messageOf(error)}; retrying in ${this.#settleRetryMs} ms.`,
      );
      this.#pendingSettle.unshift(...batch);
      this.#settleScheduled = true;
      setTimeout(() => void this.#flushSettlements(), this.#settleRetryMs);
      return;
    }
    batch.forEach(({ key, settlement, outcome }, i) => {
      const held = this.#held.get(key);
      if (held === undefined) return;
      this.#release(key, held);
      if (recorded[i] !== true) {
        this.#log(1, `Task id=${held.row.id}: outcome not recorded (its claim was lost).`);
        return;
      }
      const status = settlement.kind === "succeeded" ? "SUCCESSFUL" : settlement.kind === "failed" ? "FAILED" : "READY";
      this.#log(2, `Task id=${held.row.id} path=${held.row.taskPath} state=${status}`);
      if (!outcome.ok && settlement.kind === "failed") {
        activeLogger()?.error(
          `Task id=${held.row.id} path=${held.row.taskPath} state=FAILED\n${outcome.error.traceback}`,
        );
      }
      if (settlement.kind !== "retry" && held.task !== null && taskEvents.has("taskFinished")) {
        const state = this.#backend.stateOf(held.row, held.task);
        state.status = settlement.kind === "succeeded" ? TaskResultStatus.SUCCESSFUL : TaskResultStatus.FAILED;
        state.finishedAt = Date.now();
        if (outcome.ok) state.returnValue = outcome.value;
        else state.errors = [...state.errors, outcome.error];
        taskEvents.emit("taskFinished", new TaskResult(state));
      }
    });
    this.#claimSoon();
  }

  #release(key: number, held: Held): void {
    this.#held.delete(key);
    this.#heldPerLane.set(held.lane, (this.#heldPerLane.get(held.lane) ?? 1) - 1);
    this.#maybeEnd();
  }

  /** Renews the leases of what is held; stops what was cancelled elsewhere or lost. */
  async #renewLeases(): Promise<void> {
    const held = [...this.#held.entries()].filter(([, h]) => !h.lost);
    const leases = [...held.map(([, h]) => ({ id: h.row.id, token: h.claim.token })), ...this.#loading.values()];
    if (leases.length === 0) return;
    let result: RenewResult;
    try {
      result = await this.#store.renew(this.#options.workerId, leases, this.#backend.leaseMs);
    } catch (error) {
      this.#log(1, `Lease renewal failed: ${messageOf(error)}`);
      return;
    }
    const byId = new Map(held.map(([key, h]) => [h.row.id, { key, h }]));
    for (const id of result.lost) {
      const entry = byId.get(id);
      if (entry === undefined) continue;
      entry.h.lost = true;
      this.#log(1, `Task id=${id}: lease lost (another worker took the row over); stopping it here.`);
      this.#pool.cancel(entry.key, toTaskError(new WorkerLost(`The lease on result ${id} was lost`)), 0);
    }
    for (const { id, error } of result.cancelRequested) {
      const entry = byId.get(id);
      if (entry !== undefined) this.#pool.cancel(entry.key, error, this.#backend.settings.cancelGraceMs);
    }
  }

  #schedulePoll(): void {
    this.#poll = setTimeout(() => {
      this.#poll = null;
      if (this.#stopping) return;
      this.#claimSoon();
      this.#schedulePoll();
    }, this.#options.intervalMs);
  }

  #scheduleRenew(): void {
    const every = Math.max(10, Math.min(MAX_RENEW_EVERY_MS, Math.floor(this.#backend.leaseMs / 3)));
    this.#renew = setTimeout(() => {
      this.#renew = null;
      void Promise.all([this.#renewLeases(), this.#reaper.reap()]).finally(() => {
        if (this.#endReason === null) this.#scheduleRenew();
      });
    }, every);
  }

  #maybeEnd(): void {
    if (this.#endReason !== null || this.#claiming || this.#held.size > 0 || this.#pendingSettle.length > 0) return;
    let end: WorkerEnd | null = null;
    if (this.#aborted) end = "aborted";
    else if (this.#stopping) end = "stopped";
    else if (this.#remaining() <= 0) end = "max-tasks";
    else if (this.#options.batch && this.#drained) end = "batch-done";
    if (end === null) return;
    this.#endReason = end;
    this.#end?.(end);
  }

  async #shutdown(): Promise<void> {
    if (this.#poll !== null) clearTimeout(this.#poll);
    if (this.#renew !== null) clearTimeout(this.#renew);
    this.#unsubscribe?.();
    this.#unsubscribeEvents?.();
    await this.#pool.close({ timeoutMs: 0 });
    this.#log(1, `Worker ${this.#options.workerId} stopped (${this.#claimed} task(s) claimed).`);
  }

  #describeQueues(): string {
    const { queues, excludeQueues } = this.#options;
    if (queues !== "*") return queues.join(", ");
    return excludeQueues.length === 0 ? "all" : `all but ${excludeQueues.join(", ")}`;
  }

  #describeLanes(): string {
    return [...this.#lanes]
      .map(([name, l]) => `${name === SHARED_LANE ? "shared" : name} lane ${l.max} worker(s)`)
      .join(", ");
  }

  #log(level: 1 | 2, line: string): void {
    this.#options.log?.(level, line);
  }
}
