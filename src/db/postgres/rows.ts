import type { JsonValue } from "../../json.ts";
import type { TaskProgress } from "../../progress.ts";
import type { TaskResultStatus } from "../../result.ts";
import type { TaskError } from "../../task-error.ts";
import type { TaskRow } from "../store.ts";

/*
 * Times are stored as timestamptz (readable in psql, compared with the server's now()) and cross
 * the wire as epoch milliseconds, computed by the server so no client clock or time zone takes part.
 */

const ms = (column: string) => `floor(extract(epoch from ${column}) * 1000)::float8`;

/** The SELECT list that `toRow` reads, for the table (or CTE) named `t`. */
export function rowColumns(t: string): string {
  return [
    `${t}.id::text AS id`,
    `${t}.seq::float8 AS seq`,
    `${t}.status`,
    `${t}.task_path`,
    `${t}.queue_name`,
    `${t}.backend_name`,
    `${t}.priority`,
    `${t}.args`,
    `${ms(`${t}.enqueued_at`)} AS enqueued_at`,
    `${ms(`${t}.started_at`)} AS started_at`,
    `${ms(`${t}.last_attempted_at`)} AS last_attempted_at`,
    `${ms(`${t}.finished_at`)} AS finished_at`,
    `${ms(`${t}.run_after`)} AS run_after`,
    `${t}.return_value`,
    `${t}.errors`,
    `${t}.worker_ids`,
    `${t}.max_attempts`,
    `${t}.backoff_ms::float8 AS backoff_ms`,
    `${t}.timeout_ms::float8 AS timeout_ms`,
    `${t}.progress`,
    `${t}.locked_by`,
    `${ms(`${t}.lease_expires_at`)} AS lease_expires_at`,
    `${t}.claim_token::text AS claim_token`,
    `${t}.cancel_requested`,
  ].join(", ");
}

/** A row as `pg` parsed it (jsonb arrives parsed, float8 as number). */
export type PgRow = Record<string, unknown>;

export function toRow(r: PgRow): TaskRow {
  return {
    id: r.id as string,
    status: r.status as TaskResultStatus,
    taskPath: r.task_path as string,
    queueName: r.queue_name as string,
    backendName: r.backend_name as string,
    priority: r.priority as number,
    args: r.args as JsonValue[],
    enqueuedAt: r.enqueued_at as number,
    startedAt: r.started_at as number | null,
    lastAttemptedAt: r.last_attempted_at as number | null,
    finishedAt: r.finished_at as number | null,
    runAfter: r.run_after as number | null,
    returnValue: (r.return_value ?? null) as JsonValue | null,
    errors: r.errors as TaskError[],
    workerIds: r.worker_ids as string[],
    maxAttempts: r.max_attempts as number,
    backoffMs: r.backoff_ms as number | null,
    timeoutMs: r.timeout_ms as number | null,
    progress: r.progress as TaskProgress | null,
    lockedBy: r.locked_by as string | null,
    leaseExpiresAt: r.lease_expires_at as number | null,
    cancelRequested: r.cancel_requested as TaskError | null,
  };
}

/** Claim order (priority desc, run_after asc with NULL last, then enqueue order), for rows RETURNING left unordered. */
export function byClaimOrder(a: PgRow, b: PgRow): number {
  const pa = a.priority as number;
  const pb = b.priority as number;
  if (pa !== pb) return pb - pa;
  const ra = a.run_after as number | null;
  const rb = b.run_after as number | null;
  if (ra !== rb) {
    if (ra === null) return 1;
    if (rb === null) return -1;
    return ra - rb;
  }
  return (a.seq as number) - (b.seq as number);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuid columns: anything else cannot name a row (and would be a type error in SQL). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
