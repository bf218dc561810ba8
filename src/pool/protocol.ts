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
import type { WorkerResultMeta } from "../run-task.ts";
import type { TaskError } from "../task-error.ts";

// Parent → worker.

/** `[DEFINE, ref, moduleUrl, exportName]`: `ref` names that task export from now on. */
export const DEFINE = 1;
/** `[RUN, key, ref, priority, args, resultId, attempt, contextMeta | 0]`: buffer this job. */
export const RUN = 2;

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

export type DefineFrame = [typeof DEFINE, number, string, string];
export type RunFrame = [typeof RUN, number, number, number, JsonValue[], string, number, WorkerResultMeta | 0];
export type ParentFrame = DefineFrame | RunFrame;

export type ReadyFrame = [typeof READY];
export type LoadingFrame = [typeof LOADING, number];
export type StartedFrame = [typeof STARTED, number, number];
export type SucceededFrame = [typeof SUCCEEDED, number, number, JsonValue];
export type FailedFrame = [typeof FAILED, number, number, TaskError];
export type ProgressFrame = [typeof PROGRESS, number, TaskProgress];
export type FatalFrame = [typeof FATAL, string];
export type WorkerFrame =
  | ReadyFrame
  | LoadingFrame
  | StartedFrame
  | SucceededFrame
  | FailedFrame
  | ProgressFrame
  | FatalFrame;
