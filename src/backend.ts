/**
 * `tasklane/backend`: what a custom backend needs beyond the app API. A backend changes results only
 * through these functions, which update the state, log Django's line and emit the events in order
 * (see "Custom backends" in the README):
 *
 * ```ts
 * import { BaseTaskBackend, recordEnqueued, recordStarted, recordSucceeded, TaskResult } from "tasklane/backend";
 * ```
 */
export {
  type BackendClass,
  type BackendConfig,
  type BackendParams,
  BaseTaskBackend,
  type CloseOptions,
} from "./backends/base.ts";
export type { JsonValue } from "./json.ts";
export {
  cancellationError,
  isFinished,
  recordEnqueued,
  recordFailed,
  recordProgress,
  recordRetry,
  recordStarted,
  recordSucceeded,
} from "./lifecycle.ts";
export { type ResultOwner, type ResultState, TaskResult, TaskResultStatus } from "./result.ts";
export type { AnyTask } from "./task.ts";
export { type TaskError, toTaskError } from "./task-error.ts";
