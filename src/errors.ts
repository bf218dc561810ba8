/**
 * The exceptions tasklane raises. Each carries a stable `code` that callers can switch on, the way
 * piscina's pool errors do, and a short message that says what was wrong and where.
 */

/** Base class of every error tasklane raises itself. */
export class TasklaneError extends Error {
  /** A stable identifier, e.g. `TASKLANE_INVALID_TASK`. */
  readonly code: string = "TASKLANE_ERROR";
  override get name(): string {
    return this.constructor.name;
  }
}

/** The task's definition or options are not valid for its backend. */
export class InvalidTask extends TasklaneError {
  override readonly code: string = "TASKLANE_INVALID_TASK";
}

/** The backend alias does not exist in the configuration, or its backend could not be loaded. */
export class InvalidTaskBackend extends TasklaneError {
  override readonly code: string = "TASKLANE_INVALID_BACKEND";
}

/** A schedule's declaration is not valid: its cron expression, time zone, interval, arguments or policy. */
export class InvalidSchedule extends TasklaneError {
  override readonly code: string = "TASKLANE_INVALID_SCHEDULE";
}

/** No result with the requested id exists (never enqueued here, or evicted by retention). */
export class TaskResultDoesNotExist extends TasklaneError {
  override readonly code: string = "TASKLANE_RESULT_DOES_NOT_EXIST";
}

/** The requested result belongs to a different task. */
export class TaskResultMismatch extends TasklaneError {
  override readonly code: string = "TASKLANE_RESULT_MISMATCH";
}

/**
 * A task was enqueued inside a pool worker: at the top level of a task module the worker imported,
 * or from a running task. Workers never enqueue (see "Defining tasks" in the README).
 */
export class EnqueueInWorker extends TasklaneError {
  override readonly code: string = "TASKLANE_ENQUEUE_IN_WORKER";
}

/**
 * `returnValue` was read from a FAILED result. The message has the last error's class and message;
 * `cause` is that error (a `TaskError`, as in `result.errors`).
 */
export class TaskFailed extends TasklaneError {
  override readonly code: string = "TASKLANE_TASK_FAILED";
}

/** The backend cannot do what was asked, e.g. look results up. */
export class BackendNotSupported extends TasklaneError {
  override readonly code: string = "TASKLANE_NOT_SUPPORTED";
}

/** `TaskResult.wait()` ran out of time; the task itself is not affected. */
export class WaitTimeout extends TasklaneError {
  override readonly code: string = "TASKLANE_WAIT_TIMEOUT";
}

/** A worker (child process or thread) died while it held the task. */
export class WorkerCrashed extends TasklaneError {
  override readonly code: string = "TASKLANE_WORKER_CRASHED";
}

/** The task's module could not be imported, or does not export the task. */
export class TaskModuleError extends TasklaneError {
  override readonly code: string = "TASKLANE_MODULE_ERROR";
}

/** The backend is closing or closed and takes no new work. */
export class BackendClosed extends TasklaneError {
  override readonly code: string = "TASKLANE_BACKEND_CLOSED";
}

/** The task ran longer than its `timeoutMs`; its worker was stopped and replaced. */
export class TaskTimeout extends TasklaneError {
  override readonly code: string = "TASKLANE_TASK_TIMEOUT";
}

/** The arguments are larger, as JSON, than the backend's `maxPayloadBytes`. */
export class PayloadTooLarge extends TasklaneError {
  override readonly code: string = "TASKLANE_PAYLOAD_TOO_LARGE";
}

/** The backend already holds `maxQueued` unfinished tasks; the task was not enqueued. */
export class QueueFull extends TasklaneError {
  override readonly code: string = "TASKLANE_QUEUE_FULL";
}

/** The task was cancelled (`result.cancel()` or an aborted signal) before it finished. */
export class TaskCancelled extends TasklaneError {
  override readonly code: string = "TASKLANE_TASK_CANCELLED";
}

/** The task database cannot be opened, is not a tasklane database, or a statement on it failed. */
export class TaskStoreError extends TasklaneError {
  override readonly code: string = "TASKLANE_DATABASE";
}

/** The worker running the attempt stopped renewing its lease (it died or lost the database). */
export class WorkerLost extends TasklaneError {
  override readonly code: string = "TASKLANE_WORKER_LOST";
}

/**
 * Throw this (or any error with `unrecoverable: true`) from a task to fail it at once, without
 * the retries its `maxAttempts` would allow: for errors no retry can fix, like invalid input.
 */
export class UnrecoverableError extends Error {
  readonly unrecoverable = true;
  override get name(): string {
    return this.constructor.name;
  }
}
