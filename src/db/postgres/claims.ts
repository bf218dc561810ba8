import { randomUUID } from "node:crypto";
import type { TaskProgress } from "../../progress.ts";
import type { Claim, ClaimRequest, Expired, RenewResult, Settlement } from "../store.ts";
import type { PgConnection } from "./connection.ts";
import { type PgRow, rowColumns, toClaims, toRow } from "./rows.ts";
import type { Channels } from "./sql-names.ts";

/*
 * The worker's statements: claim, renew, settle, progress, reap. Each is ONE statement (one round
 * trip, atomic by itself), and each can be sent again after a connection loss without losing or
 * doubling anything; the comment on each says why.
 *
 * The claim token is made HERE, not by the server, for that reason: when the connection drops
 * during a claim, its COMMIT may or may not have happened, and the rows it took (if any) carry a
 * token we know. The retry first looks for them. If the old transaction commits even later (a
 * server backend that outlived our socket), its rows are RUNNING under a lease nobody renews; the
 * lease runs out and any worker's reaper records that attempt as WorkerLost and retries it. So an
 * unknown outcome costs at worst one recorded lost attempt, never a lost task or a double run.
 */

const ms = (param: string) => `${param}::float8 * interval '1 millisecond'`;

export async function claim(c: PgConnection, names: Channels, request: ClaimRequest): Promise<Claim[]> {
  wholeAtLeast("claim: limit", request.limit, 1);
  const token = randomUUID();
  const rows = await c.run("claim", async (attempt) => {
    if (attempt.retry) {
      const found = await c.pool.query(
        `SELECT ${rowColumns("t")} FROM ${names.table} t WHERE claim_token = $1 AND locked_by = $2 AND status = 'RUNNING'`,
        [token, request.workerId],
      );
      if (found.rows.length > 0) return found.rows as PgRow[];
    }
    const queues = request.queues === "*" ? null : [...request.queues];
    // The due test is written so that no index can serve it: \`run_after IS NULL OR run_after <=
    // now()\` invites a BitmapOr over the ready index plus a sort of every ready row (14 ms at 5k
    // rows, measured), where walking the ready index in claim order and stopping after n is cheap.
    // A MATERIALIZED CTE runs the locking SELECT exactly once. Written as `id IN (SELECT … LIMIT n
    // FOR UPDATE SKIP LOCKED)` the planner may re-run the subquery per outer row (a nested-loop
    // semi-join), and each re-run skips the rows the previous one locked: more than n claimed.
    const result = await c.pool.query({
      name: `tasklane_claim_${names.schema}`,
      text: `WITH picked AS MATERIALIZED (
               SELECT id FROM ${names.table}
               WHERE status = 'READY' AND coalesce(run_after, '-infinity') <= now()
                 AND ($3::text[] IS NULL OR queue_name = ANY($3::text[]))
                 AND NOT (queue_name = ANY($4::text[]))
               ORDER BY priority DESC, run_after ASC NULLS LAST, seq ASC
               LIMIT $5
               FOR UPDATE SKIP LOCKED)
             UPDATE ${names.table} AS t
             SET status = 'RUNNING', started_at = coalesce(t.started_at, now()), last_attempted_at = now(),
                 worker_ids = t.worker_ids || jsonb_build_array($1::text), locked_by = $1,
                 lease_expires_at = now() + ${ms("$6")}, claim_token = $2
             FROM picked WHERE t.id = picked.id
             RETURNING ${rowColumns("t")}`,
      values: [request.workerId, token, queues, [...request.excludeQueues], request.limit, request.leaseMs],
    });
    return result.rows as PgRow[];
  });
  return toClaims(rows, () => token);
}

/** Idempotent: extending a lease twice is the same as once. */
export async function renew(
  c: PgConnection,
  names: Channels,
  workerId: string,
  claims: ReadonlyArray<{ id: string; token: string }>,
  leaseMs: number,
): Promise<RenewResult> {
  if (claims.length === 0) return { lost: [], cancelRequested: [] };
  const rows = await c.run("renew", async () => {
    const result = await c.pool.query({
      name: `tasklane_renew_${names.schema}`,
      text: `UPDATE ${names.table} AS t SET lease_expires_at = now() + ${ms("$4")}
             FROM unnest($1::text[], $2::text[]) AS k(id, token)
             WHERE t.id = k.id AND t.claim_token = k.token AND t.status = 'RUNNING' AND t.locked_by = $3
             RETURNING t.id, t.cancel_requested`,
      values: [claims.map((k) => k.id), claims.map((k) => k.token), workerId, leaseMs],
    });
    return result.rows as Array<{
      id: string;
      cancel_requested: RenewResult["cancelRequested"][number]["error"] | null;
    }>;
  });
  const held = new Map(rows.map((r) => [r.id, r.cancel_requested]));
  return {
    lost: claims.filter((k) => !held.has(k.id)).map((k) => k.id),
    cancelRequested: rows.flatMap((r) => (r.cancel_requested ? [{ id: r.id, error: r.cancel_requested }] : [])),
  };
}

/**
 * Every settlement in one statement; its notifications (READY again → the ready channel; finished
 * → the finished channel, ids batched under the 8000-byte payload limit) commit with it. A retry
 * after an unknown outcome finds the rows it already recorded by their kept claim_token. Resolves
 * with, per settlement, whether it was recorded, and the ids that finished (for local waiters).
 */
export async function settle(
  c: PgConnection,
  names: Channels,
  settlements: readonly Settlement[],
): Promise<{ recorded: boolean[]; finished: string[]; retried: boolean }> {
  if (settlements.length === 0) return { recorded: [], finished: [], retried: false };
  const outcome = await c.run("settle", async (attempt) => {
    const done = new Map<string, string>();
    if (attempt.retry) {
      const found = await c.pool.query(
        `SELECT t.id, t.status FROM ${names.table} t JOIN unnest($1::text[], $2::text[]) AS k(id, token)
           ON t.id = k.id AND t.claim_token = k.token AND t.status <> 'RUNNING'`,
        [settlements.map((s) => s.id), settlements.map((s) => s.token)],
      );
      for (const r of found.rows) done.set(r.id as string, r.status as string);
    }
    const pending = settlements.filter((s) => !done.has(s.id));
    if (pending.length > 0) {
      const result = await c.pool.query({
        name: `tasklane_settle_${names.schema}`,
        text: settleSql(names),
        values: settleValues(names, pending),
      });
      for (const r of result.rows) done.set(r.id as string, r.status as string);
    }
    return done;
  });
  return {
    recorded: settlements.map((s) => outcome.has(s.id)),
    finished: [...outcome].filter(([, status]) => status !== "READY").map(([id]) => id),
    retried: [...outcome.values()].includes("READY"),
  };
}

/**
 * A retry of a row whose cancel was asked for ends FAILED instead (as on SQLite): the attempt ended
 * on its own before its worker could stop it, and the user still wants no further attempt.
 */
function settleSql(names: Channels): string {
  const cancelled = "t.cancel_requested IS NOT NULL";
  return `WITH s AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::float8[])
        AS s(id, token, kind, value, error, delay_ms)),
    upd AS (
      UPDATE ${names.table} AS t SET
        status = CASE
          WHEN s.kind = 'succeeded' THEN 'SUCCESSFUL'
          WHEN s.kind = 'failed' OR ${cancelled} THEN 'FAILED'
          ELSE 'READY' END,
        return_value = CASE WHEN s.kind = 'succeeded' THEN s.value END,
        errors = CASE WHEN s.kind = 'succeeded' THEN t.errors ELSE t.errors || jsonb_build_array(s.error) END,
        exception_class_path = CASE WHEN s.kind = 'succeeded' THEN t.exception_class_path
          ELSE s.error->>'exceptionClassPath' END,
        traceback = CASE WHEN s.kind = 'succeeded' THEN t.traceback ELSE s.error->>'traceback' END,
        finished_at = CASE WHEN s.kind = 'retry' AND NOT ${cancelled} THEN NULL ELSE now() END,
        run_after = CASE WHEN s.kind = 'retry' AND NOT ${cancelled}
          THEN now() + s.delay_ms * interval '1 millisecond' ELSE t.run_after END,
        locked_by = NULL, lease_expires_at = NULL
      FROM s WHERE t.id = s.id AND t.claim_token = s.token AND t.status = 'RUNNING'
      RETURNING t.id, t.status, t.queue_name),
    woke AS (
      SELECT pg_notify($7, q.queue_name) FROM (SELECT DISTINCT queue_name FROM upd WHERE status = 'READY') q),
    finished AS (
      SELECT pg_notify($8, string_agg(f.id, ',')) FROM
        (SELECT id, (row_number() OVER ()) / 200 AS chunk FROM upd WHERE status <> 'READY') f GROUP BY f.chunk)
    SELECT upd.id, upd.status FROM upd, (SELECT count(*) FROM woke) w, (SELECT count(*) FROM finished) f`;
}

function settleValues(names: Channels, settlements: readonly Settlement[]): unknown[] {
  return [
    settlements.map((s) => s.id),
    settlements.map((s) => s.token),
    settlements.map((s) => s.kind),
    settlements.map((s) => (s.kind === "succeeded" ? JSON.stringify(s.value) : null)),
    settlements.map((s) => (s.kind === "succeeded" ? null : JSON.stringify(s.error))),
    settlements.map((s) => (s.kind === "retry" ? s.delayMs : 0)),
    names.ready,
    names.finished,
  ];
}

/** Idempotent: the same progress written twice. */
export async function progress(
  c: PgConnection,
  names: Channels,
  id: string,
  token: string,
  value: TaskProgress,
): Promise<boolean> {
  return c.run("progress", async () => {
    const result = await c.pool.query({
      name: `tasklane_progress_${names.schema}`,
      text: `UPDATE ${names.table} SET progress = $3::jsonb WHERE id = $1 AND claim_token = $2 AND status = 'RUNNING'`,
      values: [id, token, JSON.stringify(value)],
    });
    return (result.rowCount ?? 0) > 0;
  });
}

/**
 * Takes over expired leases under a token made here, for the same reason as the claim: a retry
 * finds what an unknown-outcome try took. (Found that way, the lost worker is read from worker_ids:
 * a takeover adds no attempt, so the last entry is the worker whose attempt ran out.)
 */
export async function reapExpired(
  c: PgConnection,
  names: Channels,
  reaperId: string,
  leaseMs: number,
  limit: number,
): Promise<Expired[]> {
  const token = randomUUID();
  const rows = await c.run("reapExpired", async (attempt) => {
    if (attempt.retry) {
      const found = await c.pool.query(
        `SELECT ${rowColumns("t")}, t.worker_ids->>-1 AS lost_worker FROM ${names.table} t
         WHERE claim_token = $1 AND locked_by = $2 AND status = 'RUNNING'`,
        [token, reaperId],
      );
      if (found.rows.length > 0) return found.rows as PgRow[];
    }
    const result = await c.pool.query({
      name: `tasklane_reap_${names.schema}`,
      text: `WITH picked AS MATERIALIZED (
               SELECT id, locked_by FROM ${names.table}
               WHERE status = 'RUNNING' AND lease_expires_at <= now()
               ORDER BY lease_expires_at LIMIT $4
               FOR UPDATE SKIP LOCKED)
             UPDATE ${names.table} AS t SET locked_by = $1, lease_expires_at = now() + ${ms("$3")}, claim_token = $2
             FROM picked WHERE t.id = picked.id
             RETURNING ${rowColumns("t")}, picked.locked_by AS lost_worker`,
      values: [reaperId, token, leaseMs, limit],
    });
    return result.rows as PgRow[];
  });
  return (rows as Array<PgRow & { lost_worker: string | null }>).map((r) => ({
    claim: { token, row: toRow(r) },
    lostWorker: r.lost_worker ?? "",
  }));
}

export function wholeAtLeast(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${what} must be a whole number >= ${min}`);
}
