/**
 * tasklane: Django's Tasks API for Node.js. Define a task once, enqueue it, read its result later,
 * and run it inline, on worker threads or in a process pool by changing configuration only.
 * (What a custom backend needs besides, the result bookkeeping, is in `tasklane/backend`.)
 */
export {
  type BackendClass,
  type BackendConfig,
  type BackendParams,
  BaseTaskBackend,
  type CloseOptions,
} from "./backends/base.ts";
export { DummyBackend } from "./backends/dummy.ts";
export { ImmediateBackend } from "./backends/immediate.ts";
export { PoolBackend } from "./backends/pool-backend.ts";
export { ProcessPoolBackend } from "./backends/process-pool.ts";
export { ThreadPoolBackend } from "./backends/thread-pool.ts";
export { type Backoff, type ExponentialBackoffOptions, exponentialBackoff } from "./backoff.ts";
export { closeAll, configure, DEFAULT_CONFIG, getBackend, type TasksConfig } from "./config.ts";
export { currentResultId, type RunningTaskResult, type TaskContext } from "./context.ts";
export {
  BackendClosed,
  BackendNotSupported,
  EnqueueInWorker,
  InvalidSchedule,
  InvalidTask,
  InvalidTaskBackend,
  PayloadTooLarge,
  QueueFull,
  TaskCancelled,
  TaskFailed,
  TasklaneError,
  TaskModuleError,
  TaskResultDoesNotExist,
  TaskResultMismatch,
  TaskStoreError,
  TaskTimeout,
  UnrecoverableError,
  WaitTimeout,
  WorkerCrashed,
  WorkerLost,
} from "./errors.ts";
export { type TaskEventListener, type TaskEventMap, type TaskEventName, TaskEvents, taskEvents } from "./events.ts";
export {
  type JsonPrimitive,
  type JsonValue,
  MAX_JSON_DEPTH,
  type NonJson,
  normalizeJson,
  type ReturnJson,
} from "./json.ts";
export { setLogger, type TaskLogger } from "./log.ts";
export { MAX_PRIORITY, MIN_PRIORITY } from "./priority.ts";
export type { TaskProgress } from "./progress.ts";
export { TaskResult, TaskResultStatus, type WaitOptions } from "./result.ts";
export { type Clock, systemClock, type TimerHandle } from "./schedules/clock.ts";
export {
  type MissedPolicy,
  type Schedule,
  type ScheduleDeclaration,
  type ScheduleOptions,
  schedule,
} from "./schedules/declaration.ts";
export type { DurationString } from "./schedules/duration.ts";
export { type StartSchedulesOptions, startSchedules } from "./schedules/in-process.ts";
export { MemorySlotLedger, type SlotKeepingBackend, type SlotLedger, type SlotOutcome } from "./schedules/ledger.ts";
export { ManualClock } from "./schedules/manual-clock.ts";
export {
  enqueueSlotTask,
  type ScheduledOn,
  ScheduleRunner,
  type ScheduleRunnerOptions,
} from "./schedules/runner.ts";
export { type DueOptions, dueSlots, latestSlot, nextSlot, ON_TIME_MS, slotsBetween } from "./schedules/slots.ts";
export {
  type AnyTask,
  DEFAULT_BACKEND_ALIAS,
  DEFAULT_QUEUE_NAME,
  type ModuleMeta,
  type RunOptions,
  Task,
  type TaskOptions,
  task,
  type UsingOptions,
} from "./task.ts";
export type { TaskError } from "./task-error.ts";
