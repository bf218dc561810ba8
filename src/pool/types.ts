import type { JsonValue } from "../json.ts";
import type { TaskProgress } from "../progress.ts";
import type { Outcome, WorkerResultMeta } from "../run-task.ts";

/** One attempt of one task, as the backend hands it to the pool. */
export interface PoolJob {
  /** Unique per pool, assigned by the caller (increasing): the tie-breaker among equal priorities. */
  readonly key: number;
  /** `file:` URL of the task module (.js, .mjs, .ts, .mts). */
  readonly moduleUrl: string;
  /** The export holding the task object. */
  readonly exportName: string;
  /** Already validated and normalised JSON. */
  readonly args: JsonValue[];
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
}

/** Options of `WorkerPool.close()`. */
export interface PoolCloseOptions {
  /** How long queued and running jobs may still take before they fail with `BackendClosed`. Default 10 000. */
  timeoutMs?: number;
}
