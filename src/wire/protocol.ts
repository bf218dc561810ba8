/**
 * The wire protocol between the pool (parent) and its workers. Frames are small JSON arrays whose
 * first element is one of the codes below; several frames travel together in one batch (one write or
 * one `postMessage`), so the per-message cost of the transport is paid once per batch, not per job.
 *
 * Job keys are the pool's numeric keys and modules are referred to by a small number defined once per
 * worker, which keeps the frame of a no-op job around 30 bytes.
 */

import type { JsonValue } from "../json.ts";
import type { TaskProgress } from "../progress.ts";
import type { TaskError } from "../task-error.ts";
import type { Payload } from "./payload-value.ts";

/**
 * A child process's channel fds: data (these frames) and control (see src/worker/control-thread.ts).
 * Well away from 3, which libraries and test runners take for their own, so that a task writing
 * to "fd 3" does not reach the protocol; and never reassigned while open, whatever a task opens.
 */
export const DATA_FD = 37;
export const CONTROL_FD = 38;

/**
 * What the parent tells a worker about the result a context-taking job belongs to, once per attempt,
 * so the task's `context.taskResult` can show it. The worker adds its own id to `workerIds`.
 */
export interface WorkerResultMeta {
  id: string;
  backend: string;
  enqueuedAt: number;
  /** When the first attempt started; null for the first attempt (it starts in the worker). */
  startedAt: number | null;
  /** One id per earlier attempt. */
  workerIds: string[];
  /** One record per earlier failed attempt, oldest first. */
  errors: TaskError[];
  /**
   * The id this attempt is recorded under, when whoever feeds the pool records its own (a database
   * worker records itself, not its child); left out, the child's own id is the attempt's.
   */
  attemptWorkerId?: string;
  /** The due time of the schedule slot the result was enqueued for; left out when no schedule enqueued it. */
  scheduledAt?: number;
}

// Parent → worker.

/** `[DEFINE, ref, moduleUrl, exportName]`: `ref` names that task export from now on. */
export const DEFINE = 1;
/**
 * `[RUN, key, ref, priority, args, resultId, attempt, contextMeta | 0, seq]`: buffer this job. `seq`
 * names its claim word (see claims.ts): the worker may start it only after claiming it.
 */
export const RUN = 2;
/**
 * `[CANCEL, key, reason]`: abort the signal of this running job with `reason`; ignored when it
 * does not run (a buffered job is taken back through its claim word instead).
 */
export const CANCEL = 3;
/** `[EXIT]`: finish the current job (if any), report it, then exit without starting another. */
export const EXIT = 4;
/** `[CONFIGURE, reportMemory]`: sent first, and only when some setting differs from the defaults. */
export const CONFIGURE = 5;

// Worker → parent.

/** `[READY]`: the worker loop is listening; jobs may be sent. */
export const READY = 10;
/** `[LOADING, key]`: the worker took this job and is importing its module first. */
export const LOADING = 11;
/** `[STARTED, key, startedAt]`: the task function is about to be called. */
export const STARTED = 12;
/** `[SUCCEEDED, key, finishedAt, value]`. */
export const SUCCEEDED = 13;
/** `[FAILED, key, finishedAt, error]`. */
export const FAILED = 14;
/** `[PROGRESS, key, progress]`. */
export const PROGRESS = 15;
/** `[FATAL, description]`: sent on an uncaught exception, just before the worker dies. */
export const FATAL = 16;
/** `[DROPPED, key]`: the pool took this job back while its module was imported; it did not run. */
export const DROPPED = 17;
/** `[MEMORY, mb]`: the worker's memory after a job (only when CONFIGURE asked for it). */
export const MEMORY = 18;
/**
 * `[WARNING, code, message]`: something the worker survived but the application should hear of (an
 * unhandled rejection, a dead stdout), logged by the parent as it is.
 */
export const WARNING = 19;

export type DefineFrame = [typeof DEFINE, number, string, string];
/** The arguments are a `Payload` as the pool sends them, an array as a worker receives them (payload.ts). */
export type RunFrame = [
  typeof RUN,
  number,
  number,
  number,
  readonly JsonValue[] | Payload,
  string,
  number,
  WorkerResultMeta | 0,
  number,
];
export type CancelFrame = [typeof CANCEL, number, string];
export type ExitFrame = [typeof EXIT];
export type ConfigureFrame = [typeof CONFIGURE, boolean];
export type ParentFrame = DefineFrame | RunFrame | CancelFrame | ExitFrame | ConfigureFrame;

export type ReadyFrame = [typeof READY];
export type LoadingFrame = [typeof LOADING, number];
export type StartedFrame = [typeof STARTED, number, number];
/** The value is a `Payload` as a worker sends it, a value as the pool receives it (payload.ts). */
export type SucceededFrame = [typeof SUCCEEDED, number, number, JsonValue | Payload];
export type FailedFrame = [typeof FAILED, number, number, TaskError];
export type ProgressFrame = [typeof PROGRESS, number, TaskProgress];
export type FatalFrame = [typeof FATAL, string];
export type DroppedFrame = [typeof DROPPED, number];
export type MemoryFrame = [typeof MEMORY, number];
export type WarningFrame = [typeof WARNING, string, string];
export type WorkerFrame =
  | ReadyFrame
  | LoadingFrame
  | StartedFrame
  | SucceededFrame
  | FailedFrame
  | ProgressFrame
  | FatalFrame
  | DroppedFrame
  | MemoryFrame
  | WarningFrame;
