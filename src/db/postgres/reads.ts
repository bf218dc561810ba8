import { isDeepStrictEqual } from "node:util";
import type { TaskResultStatus } from "../../result.ts";
import type { TaskError } from "../../task-error.ts";
import type { CancelOutcome, ListPage, ListRequest, NewTaskRow, PruneRequest, TaskRow } from "../store.ts";
import { wholeAtLeast } from "./claims.ts";
import type { PgConnection, Queryable } from "./connection.ts";
import { type PgRow, rowColumns, toRow } from "./rows.ts";
import type { Channels } from "./sql-names.ts";

/*
 * Enqueue, cancel and the reading side. Times again come from the server: enqueued_at is now(),
 * prune ages are measured back from now().
 */

/**
 * The insert and its notification are one statement, so they run in whatever transaction the
 * executor is in: through an application's open transaction both become visible on its COMMIT,
 * and a ROLLBACK leaves neither. A future run_after sends no notification (nothing to claim yet).
 * A row enqueued already cancelled ($12, its error) is born FAILED in the same statement, so no
 * worker can ever claim it, and wakes nobody.
 */
export function enqueueStatement(names: Channels, row: NewTaskRow): { text: string; values: unknown[] } {
  const cancelled = row.cancelled ?? null;
  return {
    text: `WITH ins AS (
             INSERT INTO ${names.table}
               (id, status, enqueued_at, finished_at, task_path, queue_name, backend_name, priority, args, run_after,
                max_attempts, backoff_ms, timeout_ms, errors, exception_class_path, traceback)
             VALUES ($1, CASE WHEN $12::jsonb IS NULL THEN 'READY' ELSE 'FAILED' END, now(),
               CASE WHEN $12::jsonb IS NULL THEN NULL ELSE now() END,
               $2, $3, $4, $5, $6::jsonb, to_timestamp($7::float8 / 1000), $8, $9, $10,
               CASE WHEN $12::jsonb IS NULL THEN '[]'::jsonb ELSE jsonb_build_array($12::jsonb) END,
               $12::jsonb->>'exceptionClassPath', $12::jsonb->>'traceback')
             RETURNING *)
           SELECT ${rowColumns("ins")},
             CASE WHEN ins.status = 'READY' AND (ins.run_after IS NULL OR ins.run_after <= now())
               THEN pg_notify($11, ins.queue_name) END AS woke
           FROM ins`,
    values: [...newRowValues(row), names.ready, cancelled === null ? null : JSON.stringify(cancelled)],
  };
}

/** $1..$10 of every statement that inserts a new row: id, task, queue, backend, priority, args, run_after (ms), attempt options. */
export function newRowValues(row: NewTaskRow): unknown[] {
  return [
    row.id,
    row.taskPath,
    row.queueName,
    row.backendName,
    row.priority,
    JSON.stringify(row.args),
    row.runAfter,
    row.maxAttempts,
    row.backoffMs,
    row.timeoutMs,
  ];
}

/**
 * Through the store's own pool. A retry after an unknown outcome that hits the primary key finds
 * the row the first try committed (ids are UUIDs the caller made for this one row).
 */
export async function enqueue(c: PgConnection, names: Channels, row: NewTaskRow): Promise<TaskRow> {
  const statement = enqueueStatement(names, row);
  return c.run("enqueue", async (attempt) => {
    try {
      const result = await c.pool.query({ name: `tasklane_enqueue_${names.schema}`, ...statement });
      return toRow(result.rows[0] as PgRow);
    } catch (error) {
      if (attempt.retry && (error as { code?: unknown }).code === "23505") {
        const existing = await get(c.pool, names, row.id);
        if (existing) return existing;
      }
      throw error;
    }
  });
}

export async function get(q: Queryable, names: Channels, id: string): Promise<TaskRow | null> {
  const result = await q.query({
    name: `tasklane_get_${names.schema}`,
    text: `SELECT ${rowColumns("t")} FROM ${names.table} t WHERE t.id = $1`,
    values: [id],
  });
  const row = result.rows[0] as PgRow | undefined;
  return row ? toRow(row) : null;
}

/**
 * Row-locked so a concurrent claim either took the row first (we see RUNNING) or skips it. A retry
 * after an unknown outcome that finds the row FAILED with exactly this error knows it was us.
 */
export async function cancel(c: PgConnection, names: Channels, id: string, error: TaskError): Promise<CancelOutcome> {
  return c.run("cancel", (attempt) =>
    c.transaction(async (client): Promise<CancelOutcome> => {
      const found = await client.query(
        `SELECT status, errors->-1 AS last_error FROM ${names.table} WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const current = found.rows[0] as { status: TaskResultStatus; last_error: unknown } | undefined;
      if (!current) return "missing";
      const errorJson = JSON.stringify(error);
      if (current.status === "READY") {
        await client.query(
          `UPDATE ${names.table} SET status = 'FAILED', errors = errors || jsonb_build_array($2::jsonb),
             exception_class_path = $3, traceback = $4, finished_at = now()
           WHERE id = $1`,
          [id, errorJson, error.exceptionClassPath, error.traceback],
        );
        await client.query("SELECT pg_notify($1, $2)", [names.finished, id]);
        return "cancelled";
      }
      if (current.status === "RUNNING") {
        await client.query(
          `UPDATE ${names.table} SET cancel_requested = coalesce(cancel_requested, $2::jsonb) WHERE id = $1`,
          [id, errorJson],
        );
        return "requested";
      }
      if (
        attempt.retry &&
        current.status === "FAILED" &&
        isDeepStrictEqual(current.last_error, JSON.parse(errorJson))
      ) {
        return "cancelled";
      }
      return "finished";
    }),
  );
}

export async function prune(c: PgConnection, names: Channels, request: PruneRequest): Promise<number> {
  const where = `((status = 'SUCCESSFUL' AND finished_at <= now() - $1::float8 * interval '1 millisecond')
                  OR (status = 'FAILED' AND finished_at <= now() - $2::float8 * interval '1 millisecond'))
                 AND ($3::text[] IS NULL OR queue_name = ANY($3::text[]))`;
  const values = [request.minAgeMs, request.failedMinAgeMs, request.queues === "*" ? null : [...request.queues]];
  if (request.dryRun) {
    return c.run("prune", async () => {
      const result = await c.pool.query(`SELECT count(*)::float8 AS n FROM ${names.table} WHERE ${where}`, values);
      return result.rows[0]?.n as number;
    });
  }
  return deleteInBatches(
    c,
    "prune",
    (limit) =>
      `DELETE FROM ${names.table} WHERE id IN (
         SELECT id FROM ${names.table} WHERE ${where} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    values,
  );
}

/**
 * Runs a DELETE of at most `limit` rows until one deletes fewer. Batches keep each transaction (and
 * the locks it holds) short on a big table; each is idempotent, so a retried one deletes what is
 * still there.
 */
export async function deleteInBatches(
  c: PgConnection,
  what: string,
  statement: (limit: number) => string,
  values: unknown[],
): Promise<number> {
  const BATCH = 1000;
  const text = statement(BATCH);
  let total = 0;
  for (;;) {
    const deleted = await c.run(what, async () => (await c.pool.query(text, values)).rowCount ?? 0);
    total += deleted;
    if (deleted < BATCH) return total;
  }
}

const LIST_CAP = 500;

export async function list(c: PgConnection, names: Channels, request: ListRequest): Promise<ListPage> {
  wholeAtLeast("list: limit", request.limit, 1);
  const limit = Math.min(request.limit, LIST_CAP);
  if (request.after !== undefined && !/^[1-9][0-9]{0,15}$/.test(request.after)) {
    throw new RangeError(`list: after: ${JSON.stringify(request.after)} is not a cursor from a previous page`);
  }
  const after = request.after === undefined ? null : Number(request.after);
  const rows = await c.run("list", async () => {
    const result = await c.pool.query(
      `SELECT ${rowColumns("t")} FROM ${names.table} t
       WHERE ($1::text[] IS NULL OR t.status = ANY($1::text[]))
         AND ($2::text[] IS NULL OR t.queue_name = ANY($2::text[]))
         AND ($3::text IS NULL OR t.task_path = $3)
         AND ($4::text IS NULL OR strpos(t.id, $4) > 0)
         AND ($5::bigint IS NULL OR t.seq < $5)
       ORDER BY t.seq DESC LIMIT $6`,
      [
        request.statuses ? [...request.statuses] : null,
        request.queues ? [...request.queues] : null,
        request.taskPath ?? null,
        request.idContains ?? null,
        after,
        limit + 1,
      ],
    );
    return result.rows as PgRow[];
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page.map(toRow), next: rows.length > limit && last ? String(last.seq) : null };
}

export async function counts(
  c: PgConnection,
  names: Channels,
): Promise<Array<{ queueName: string; status: TaskResultStatus; count: number }>> {
  return c.run("counts", async () => {
    const result = await c.pool.query(
      `SELECT queue_name, status, count(*)::float8 AS n FROM ${names.table} GROUP BY queue_name, status ORDER BY queue_name, status`,
    );
    return result.rows.map((r) => ({
      queueName: r.queue_name as string,
      status: r.status as TaskResultStatus,
      count: r.n as number,
    }));
  });
}
