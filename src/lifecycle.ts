import { onAbort } from "./abort.ts";
import { messageOf } from "./describe.ts";
import { TaskCancelled } from "./errors.ts";
import { taskEvents } from "./events.ts";
import type { JsonValue } from "./json.ts";
import { activeLogger } from "./log.ts";
import type { TaskProgress } from "./progress.ts";
import { isFinishedStatus, type ResultState, type StateWaiter, TaskResult, TaskResultStatus } from "./result.ts";
import { type TaskError, toTaskError } from "./task-error.ts";

/*
 * The one door through which backends change a result: each function updates the state, logs the
 * Django-style line and emits the event, in Django's order (README, "Events and logging"). Snapshots for events
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
  const wakes = state.waiters;
  if (wakes != null) {
    state.waiters = null;
    if (typeof wakes === "function") wakes(state);
    else for (const wake of wakes) wake(state);
  }
}

// Who waits for a result is kept on its state: only a result finished in this process, through
// finish() above, can wake them (a persistent backend's states are re-read, so it waits its own
// way). A lone waiter is the promise's own resolve, not in an array nor behind a closure, and not
// in a WeakMap beside the state: in a flood every result has one, all alive at once, and a pending
// wait() took 1,210 bytes with a closure in an array in a WeakMap, 360 this way (`node
// --expose-gc bench/profile-retained.mjs`).
function addWaiter(state: ResultState, wake: StateWaiter): void {
  const wakes = state.waiters;
  if (wakes == null) state.waiters = wake;
  else if (typeof wakes === "function") state.waiters = [wakes, wake];
  else wakes.push(wake);
}

function removeWaiter(state: ResultState, wake: StateWaiter): void {
  const wakes = state.waiters;
  if (wakes === wake) state.waiters = null;
  else if (Array.isArray(wakes)) {
    const i = wakes.indexOf(wake);
    if (i >= 0) wakes.splice(i, 1);
  }
}

/**
 * Resolves with `state` once it is finished (by `recordSucceeded` or `recordFailed` in this process);
 * rejects with the signal's reason if `signal` aborts first, and then stops waiting.
 */
export function whenFinished(state: ResultState, signal: AbortSignal | undefined): Promise<ResultState> {
  if (isFinished(state)) return Promise.resolve(state);
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<ResultState>((resolve, reject) => {
    if (signal === undefined) {
      addWaiter(state, resolve);
      return;
    }
    const wake = (finished: ResultState): void => {
      stopListening();
      resolve(finished);
    };
    const stopListening = onAbort(signal, (reason) => {
      removeWaiter(state, wake);
      reject(reason);
    });
    addWaiter(state, wake);
  });
}

/** True when `state` is SUCCESSFUL or FAILED. */
export function isFinished(state: ResultState): boolean {
  return isFinishedStatus(state.status);
}
