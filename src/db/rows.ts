/**
 * The results table's columns and the one mapping from a raw row to a `TaskRow`, shared by the
 * dialects. A dialect only says how it returns JSON columns (SQLite: text; PostgreSQL: parsed
 * jsonb) and big integers (SQLite: numbers; pg: strings for int8).
 */

import type { JsonValue } from "../json.ts";
import type { TaskProgress } from "../progress.ts";
import type { TaskResultStatus } from "../result.ts";
import type { TaskError } from "../task-error.ts";
import type { TaskRow } from "./store.ts";

/** The columns a TaskRow is made from, in the order statements list them. */
export const ROW_COLUMNS = [
  "seq",
  "id",
  "status",
  "task_path",
  "queue_name",
  "backend_name",
  "priority",
  "args",
  "enqueued_at",
  "started_at",
  "last_attempted_at",
  "finished_at",
  "run_after",
  "return_value",
  "errors",
  "worker_ids",
  "max_attempts",
  "backoff_ms",
  "timeout_ms",
  "progress",
  "locked_by",
  "lease_expires_at",
  "cancel_requested",
  "changed_at",
  "reenqueued_from",
  "reenqueued_as",
  "claim_token",
  "scheduled_at",
] as const;

/** A row as the driver returns it. */
export type RawRow = { readonly [K in (typeof ROW_COLUMNS)[number]]: unknown };

/** How a dialect's driver hands back JSON and integer columns. */
export interface ColumnDecoding {
  json(value: unknown): unknown;
  integer(value: unknown): number;
}

/** Builds the TaskRow; `seq` and `claim_token` stay internal. */
export function toTaskRow(raw: RawRow, decode: ColumnDecoding): TaskRow {
  const json = <T>(value: unknown): T => decode.json(value) as T;
  const nullableJson = <T>(value: unknown): T | null => (value === null ? null : json<T>(value));
  const int = (value: unknown): number => decode.integer(value);
  const nullableInt = (value: unknown): number | null => (value === null ? null : int(value));
  return {
    id: raw.id as string,
    status: raw.status as TaskResultStatus,
    taskPath: raw.task_path as string,
    queueName: raw.queue_name as string,
    backendName: raw.backend_name as string,
    priority: int(raw.priority),
    args: json<JsonValue[]>(raw.args),
    enqueuedAt: int(raw.enqueued_at),
    startedAt: nullableInt(raw.started_at),
    lastAttemptedAt: nullableInt(raw.last_attempted_at),
    finishedAt: nullableInt(raw.finished_at),
    runAfter: nullableInt(raw.run_after),
    returnValue: nullableJson<JsonValue>(raw.return_value),
    errors: json<TaskError[]>(raw.errors),
    workerIds: json<string[]>(raw.worker_ids),
    maxAttempts: int(raw.max_attempts),
    backoffMs: nullableInt(raw.backoff_ms),
    timeoutMs: nullableInt(raw.timeout_ms),
    progress: nullableJson<TaskProgress>(raw.progress),
    lockedBy: raw.locked_by as string | null,
    leaseExpiresAt: nullableInt(raw.lease_expires_at),
    cancelRequested: nullableJson<TaskError>(raw.cancel_requested),
    scheduledAt: nullableInt(raw.scheduled_at),
    changedAt: int(raw.changed_at),
    reenqueuedFrom: raw.reenqueued_from as string | null,
    reenqueuedAs: raw.reenqueued_as as string | null,
  };
}

/**
 * Claim order (django-tasks-db's): priority descending, run_after ascending with null last, then
 * enqueue order. Both dialects' claims return rows in no particular order (RETURNING does not
 * keep the subquery's), so they are sorted with this before they are handed out.
 */
export function claimOrder(a: { row: TaskRow; seq: number }, b: { row: TaskRow; seq: number }): number {
  return (
    b.row.priority - a.row.priority ||
    (a.row.runAfter ?? Number.MAX_SAFE_INTEGER) - (b.row.runAfter ?? Number.MAX_SAFE_INTEGER) ||
    a.seq - b.seq
  );
}
