import type { FinishedTimes, MinuteCount, ReenqueueOutcome, TaskRow } from "../store.ts";
import type { PgConnection } from "./connection.ts";
import { type PgRow, rowColumns, toRow } from "./rows.ts";
import type { Channels } from "./sql-names.ts";

/*
 * The dashboard's reads on PostgreSQL. `changed_at` is kept by a trigger (schema step 3), so no
 * statement of the store has to remember it. Unlike SQLite's, PostgreSQL's writers commit
 * concurrently: a row may become visible after one with a later changed_at, and the live feed,
 * which reads at or after its watermark, then misses that change until the row changes again or
 * the page reloads its list (it re-reads while the newest change is under a second old, which
 * covers the common case of two commits close together).
 */

const LIST_CAP = 500;
const TIMINGS_CAP = 10_000;
const MINUTE = 60_000;
const ms = (column: string) => `floor(extract(epoch from ${column}) * 1000)::float8`;
const since = (param: string) => `to_timestamp(${param}::float8 / 1000)`;

export async function latestChange(c: PgConnection, names: Channels): Promise<number> {
  return c.run("latestChange", async () => {
    const result = await c.pool.query(`SELECT coalesce(${ms("max(changed_at)")}, 0) AS latest FROM ${names.table}`);
    return (result.rows[0] as { latest: number }).latest;
  });
}

export async function changedSince(c: PgConnection, names: Channels, from: number, limit: number): Promise<TaskRow[]> {
  return c.run("changedSince", async () => {
    const result = await c.pool.query(
      `SELECT ${rowColumns("t")} FROM ${names.table} t WHERE t.changed_at >= ${since("$1")}
        ORDER BY t.changed_at LIMIT $2`,
      [from, Math.min(limit, LIST_CAP)],
    );
    return (result.rows as PgRow[]).map(toRow);
  });
}

export async function finishedPerMinute(c: PgConnection, names: Channels, from: number): Promise<MinuteCount[]> {
  return c.run("finishedPerMinute", async () => {
    const result = await c.pool.query(
      `SELECT floor(extract(epoch from finished_at) / 60)::float8 AS minute, status, count(*)::int AS count
         FROM ${names.table}
        WHERE status IN ('SUCCESSFUL', 'FAILED') AND finished_at >= ${since("$1")}
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [from],
    );
    return (result.rows as { minute: number; status: MinuteCount["status"]; count: number }[]).map((r) => ({
      minute: r.minute * MINUTE,
      status: r.status,
      count: r.count,
    }));
  });
}

export async function finishedTimings(
  c: PgConnection,
  names: Channels,
  from: number,
  limit: number,
): Promise<FinishedTimes[]> {
  return c.run("finishedTimings", async () => {
    const result = await c.pool.query(
      `SELECT status, ${ms("enqueued_at")} AS enqueued_at, ${ms("started_at")} AS started_at,
              ${ms("finished_at")} AS finished_at
         FROM ${names.table}
        WHERE status IN ('SUCCESSFUL', 'FAILED') AND finished_at >= ${since("$1")}
        ORDER BY finished_at DESC LIMIT $2`,
      [from, Math.min(limit, TIMINGS_CAP)],
    );
    return (
      result.rows as {
        status: FinishedTimes["status"];
        enqueued_at: number;
        started_at: number | null;
        finished_at: number;
      }[]
    ).map((r) => ({ status: r.status, enqueuedAt: r.enqueued_at, startedAt: r.started_at, finishedAt: r.finished_at }));
  });
}

/**
 * One statement: the FAILED row, locked, is copied as a READY row linked back to it, and linked to
 * the copy. A second click waiting on the lock finds `reenqueued_as` set when it gets the row, and
 * makes nothing.
 */
export async function reenqueue(
  c: PgConnection,
  names: Channels,
  id: string,
  newId: string,
): Promise<ReenqueueOutcome> {
  return c.run("reenqueue", async () => {
    const made = await c.pool.query(
      `WITH old AS (
          SELECT * FROM ${names.table} WHERE id = $1 AND status = 'FAILED' AND reenqueued_as IS NULL FOR UPDATE),
        ins AS (
          INSERT INTO ${names.table} (id, status, enqueued_at, args, priority, task_path, queue_name, backend_name,
              run_after, max_attempts, backoff_ms, timeout_ms, reenqueued_from)
            SELECT $2, 'READY', now(), args, priority, task_path, queue_name, backend_name, NULL,
              max_attempts, backoff_ms, timeout_ms, id
            FROM old
            RETURNING *),
        link AS (UPDATE ${names.table} SET reenqueued_as = $2 WHERE id IN (SELECT reenqueued_from FROM ins))
       SELECT ${rowColumns("ins")}, pg_notify($3, ins.queue_name) AS woke FROM ins`,
      [id, newId, names.ready],
    );
    const row = made.rows[0] as PgRow | undefined;
    if (row) return { row: toRow(row) };
    const found = await c.pool.query(`SELECT status, reenqueued_as FROM ${names.table} WHERE id = $1`, [id]);
    const old = found.rows[0] as { status: string; reenqueued_as: string | null } | undefined;
    if (old === undefined) return "missing";
    if (old.reenqueued_as === null) return "not-failed";
    // A retry after a lost answer finds its own first try's copy: report it as made.
    if (old.reenqueued_as === newId) {
      const mine = await c.pool.query(`SELECT ${rowColumns("t")} FROM ${names.table} t WHERE t.id = $1`, [newId]);
      const copy = mine.rows[0] as PgRow | undefined;
      if (copy) return { row: toRow(copy) };
    }
    return { existing: old.reenqueued_as };
  });
}
