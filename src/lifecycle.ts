import { messageOf } from "./describe.ts";
import { TaskCancelled } from "./errors.ts";
import { taskEvents } from "./events.ts";
import type { JsonValue } from "./json.ts";
import { activeLogger } from "./log.ts";
import type { TaskProgress } from "./progress.ts";
import { isFinishedStatus, type ResultState, TaskResult, TaskResultStatus } from "./result.ts";
import { type TaskError, toTaskError } from "./task-error.ts";

/*
 * The one door through which backends change a result: each function updates the state, logs the
 * Django-style line and emits the event, in the order semantics.md §4 gives. Snapshots for events
 * are only built when someone listens, so an unobserved pool pays nothing for them. The state's
 * arrays are replaced, never changed in place, so snapshots share them instead of copying.
 */

function logState(state: ResultState): void {
  activeLogger()?.debug(`Task id=${state.id} path=${state.task.modulePath} state=${state.status}`);
}

/** After the READY result is stored. */
export function recordEnqueued(state: ResultState): void {
  logState(state);
  if (taskEvents.has("taskEnqueued")) taskEvents.emit("taskEnqueued", new TaskResult(state));
}

/** A worker took the task: RUNNING, its worker id appended, `startedAt` set on the first attempt. */
export function recordStarted(state: ResultState, workerId: string, at: number): void {
  state.status = TaskResultStatus.RUNNING;
  if (state.startedAt === null) state.startedAt = Math.max(at, state.enqueuedAt);
  state.lastAttemptedAt = Math.max(at, state.enqueuedAt);
  state.workerIds = [...state.workerIds, workerId];
  logState(state);
  if (taskEvents.has("taskStarted")) taskEvents.emit("taskStarted", new TaskResult(state));
}

/** The running task reported progress (already normalised). */
export function recordProgress(state: ResultState, progress: TaskProgress): void {
  state.progress = progress;
  if (taskEvents.has("taskProgress")) taskEvents.emit("taskProgress", new TaskResult(state));
}

/**
 * The attempt failed and another will follow: the error is recorded, the status goes back to
 * READY, and the result stays unfinished (no `taskFinished`, waiters keep waiting).
 */
export function recordRetry(state: ResultState, error: TaskError): void {
  state.errors = [...state.errors, error];
  state.status = TaskResultStatus.READY;
  logState(state);
}

/** The TaskError a cancelled result ends with; `reason` is what `cancel()` or the signal gave. */
export function cancellationError(reason: unknown): TaskError {
  const why = reason === undefined ? "" : `: ${messageOf(reason)}`;
  return toTaskError(new TaskCancelled(`Task was cancelled${why}`));
}

/** The task returned `value` (already normalised). */
export function recordSucceeded(state: ResultState, value: JsonValue, at: number): void {
  state.returnValue = value;
  finish(state, TaskResultStatus.SUCCESSFUL, at);
}

/** The attempt failed, or the task could not run at all. */
export function recordFailed(state: ResultState, error: TaskError, at: number): void {
  state.errors = [...state.errors, error];
  finish(state, TaskResultStatus.FAILED, at);
}

function finish(state: ResultState, status: TaskResultStatus, at: number): void {
  state.status = status;
  state.finishedAt = Math.max(at, state.startedAt ?? state.enqueuedAt);
  const log = activeLogger();
  if (log) {
    const line = `Task id=${state.id} path=${state.task.modulePath} state=${status}`;
    const last = state.errors[state.errors.length - 1];
    if (status === TaskResultStatus.FAILED && last) log.error(`${line}\n${last.traceback}`);
    else log.debug(line);
  }
  if (taskEvents.has("taskFinished")) taskEvents.emit("taskFinished", new TaskResult(state));
  const waiters = state.waiters;
  if (waiters !== null) {
    state.waiters = null;
    for (const wake of waiters) wake();
  }
}

/** True when `state` is SUCCESSFUL or FAILED. */
export function isFinished(state: ResultState): boolean {
  return isFinishedStatus(state.status);
}
