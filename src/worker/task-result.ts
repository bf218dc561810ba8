import type { RunningTaskResult } from "../context.ts";
import type { JsonValue } from "../json.ts";
import { TaskResultStatus } from "../result.ts";
import type { Task } from "../task.ts";
import type { WorkerResultMeta } from "../wire/protocol.ts";

/**
 * The `context.taskResult` of a job run in a worker, built straight from what the parent sent for
 * this attempt: a frozen plain object, since nothing in the child can change it. The worker's own id
 * is the attempt's (unless the parent named another), added here because the parent cannot know
 * which worker will run it.
 */
export function runningTaskResult(
  meta: WorkerResultMeta,
  task: unknown,
  args: readonly JsonValue[],
  startedAt: number,
  workerId: string,
): RunningTaskResult {
  const workerIds = Object.freeze([...meta.workerIds, meta.attemptWorkerId ?? workerId]);
  return Object.freeze({
    id: meta.id,
    // The module's exported task: this child's copy of the one the enqueuer holds.
    task: task as Task,
    args,
    backend: meta.backend,
    status: TaskResultStatus.RUNNING,
    enqueuedAt: new Date(meta.enqueuedAt),
    startedAt: new Date(meta.startedAt ?? startedAt),
    lastAttemptedAt: new Date(startedAt),
    finishedAt: null,
    errors: Object.freeze([...meta.errors]),
    workerIds,
    attempts: workerIds.length,
    scheduledAt: meta.scheduledAt === undefined ? null : new Date(meta.scheduledAt),
  });
}
