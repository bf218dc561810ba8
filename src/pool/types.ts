import type { JsonValue } from "../json.ts";
import type { Outcome } from "../outcome.ts";
import type { TaskProgress } from "../progress.ts";
import type { Payload } from "../wire/payload.ts";
import type { WorkerResultMeta } from "../wire/protocol.ts";

/** One attempt of one task, as the backend hands it to the pool. */
export interface PoolJob {
  /** Unique per pool, assigned by the caller (increasing): the tie-breaker among equal priorities. */
  readonly key: number;
  /** `file:` URL of the task module (.js, .mjs, .ts, .mts). */
  readonly moduleUrl: string;
  /** The export holding the task object. */
  readonly exportName: string;
  /**
   * Already validated and normalised JSON: best as a `Payload` (encoded once by the caller, sent as
   * it is), or as the array itself (serialised here, on the way to the worker).
   */
  readonly args: readonly JsonValue[] | Payload;
  /** Integer in -100..100; larger runs sooner. */
  readonly priority: number;
  /** A lane name from `PoolOptions.lanes`. */
  readonly lane: string;
  /** Epoch ms; the job is not eligible before it. */
  readonly runAfter: number | null;
  /** What `currentResultId()` returns inside the task. */
  readonly resultId: string;
  /** 1-based attempt number, passed to the context. */
  readonly attempt: number;
  /** Non-null iff the task takes a context. */
  readonly contextMeta: WorkerResultMeta | null;
  /**
   * How long the job may take, in ms from the moment its worker takes it (to import its module, if
   * that worker has not yet, or to run it); past it the worker is killed and replaced and the job
   * fails with `TaskTimeout`. 1..2^31-1; null: no limit on the run (and no timer at all for a module
   * already imported), while `PoolOptions.importTimeoutMs` still bounds an import.
   */
  readonly timeoutMs: number | null;
}

/** How the pool reports what happens to jobs. Calls are synchronous; a listener that throws is reported as a warning. */
export interface PoolListener {
  /**
   * A worker actually started the job (its task function is about to run), at the worker's own
   * `Date.now()`. Not called for a job that never started: its module failed to load, its worker
   * died while importing it, or the pool closed first.
   */
  onStart(job: PoolJob, workerId: string, startedAt: number): void;
  /** The running job reported progress. */
  onProgress(job: PoolJob, progress: TaskProgress): void;
  /** Exactly once per submitted job. */
  onFinish(job: PoolJob, outcome: Outcome, finishedAt: number): void;
}

/** Configuration of a `WorkerPool`. */
export interface PoolOptions {
  /** Child processes (isolation, crash safety) or worker threads (cheaper start, shared process). */
  runtime: "process" | "thread";
  /** The lanes (one per queue name) and how many workers each may run at once. */
  lanes: Record<string, { maxWorkers: number }>;
  listener: PoolListener;
  /** Extra node flags for workers, after the inherited `process.execArgv`. */
  execArgv?: string[];
  /** When workers are retired and replaced. Absent: never (they live until they crash or close()). */
  recycle?: RecycleOptions;
  /**
   * How long a worker may take to import a task's module for a job without a `timeoutMs` (a job
   * with one spends its own time on the import), in ms: past it, the worker is killed and replaced
   * and the job fails with `TaskTimeout`. An integer in 1..2^31-1; null: no limit.
   * @defaultValue 30000
   */
  importTimeoutMs?: number | null;
}

/**
 * When a worker is retired: it takes no new job, finishes the ones it holds, is asked to exit
 * (and killed if it has not within a few seconds), and is replaced if work waits. A retirement is
 * not a crash: it fails nothing and does not slow down later forks. Every field is optional.
 */
export interface RecycleOptions {
  /** Jobs handed to one worker before it is retired (it runs at most this many). Integer >= 1. */
  maxTasksPerWorker?: number;
  /**
   * Retire a worker whose memory, reported after each job, is above this many MB: the RSS of a
   * child process (`process.memoryUsage.rss()`), the V8 heap in use of a worker thread
   * (`process.memoryUsage().heapUsed` in the thread: its RSS would be the whole process's). Only
   * when set do workers measure and report anything. A number > 0; MB here are 2^20 bytes.
   */
  maxWorkerMemoryMb?: number;
  /** Retire a worker that has held no job for this long, in ms, down to `minWorkers` per lane. A number > 0. */
  idleTimeoutMs?: number;
  /**
   * Workers per lane started when the pool is created and kept from then on (default 0): the idle
   * timeout leaves them, and one that exits is replaced even with nothing to do. A lane with a
   * smaller `maxWorkers` keeps that many. `WorkerPool.ready()` resolves once they are up. Integer >= 0.
   */
  minWorkers?: number;
}

/** One row of `WorkerPool.workerInfo()`. */
export interface WorkerInfo {
  lane: string;
  /** `String(pid)` for a child process, `thread-<threadId>` for a thread. */
  workerId: string;
  pid: number | null;
  threadId: number | null;
  /** True while the worker holds a job (running or buffered). */
  busy: boolean;
  /** Jobs it finished (succeeded or failed; not those it gave back or dropped). */
  tasksDone: number;
  /** Its memory in MB as last reported (see `RecycleOptions.maxWorkerMemoryMb`); null when not reported. */
  rssMb: number | null;
}

/** Options of `WorkerPool.close()`. */
export interface PoolCloseOptions {
  /** How long queued and running jobs may still take before they fail with `BackendClosed`. Default 10 000. */
  timeoutMs?: number;
}
