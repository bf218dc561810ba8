import type { NewTaskRow, SlotKey, TaskRow } from "../store.ts";
import type { PgConnection } from "./connection.ts";
import { deleteInBatches, newRowValues } from "./reads.ts";
import { type PgRow, rowColumns, toRow } from "./rows.ts";
import type { Channels } from "./sql-names.ts";

/**
 * A schedule slot and its task row in one statement (so one transaction): the slot's row goes in
 * unless it, or a later slot of the schedule, is recorded — the unique key makes concurrent
 * workers agree on one slot (a second insert waits for the first to commit, then does nothing),
 * and NOT EXISTS keeps a lagging worker from going back in time — and the task row only when the
 * slot's did. Slot times are bigint epoch ms, exact, unlike a float trip through timestamptz.
 */
export async function enqueueSlot(
  c: PgConnection,
  names: Channels,
  slot: SlotKey,
  row: NewTaskRow,
): Promise<TaskRow | null> {
  const text = `WITH slot AS (
      INSERT INTO ${names.slots} (schedule_name, slot_at, task_id, recorded_at)
        SELECT $11, $12::bigint, $1, now()
        WHERE NOT EXISTS (SELECT 1 FROM ${names.slots} WHERE schedule_name = $11 AND slot_at >= $12::bigint)
        ON CONFLICT (schedule_name, slot_at) DO NOTHING
        RETURNING slot_at),
    ins AS (
      INSERT INTO ${names.table}
        (id, status, enqueued_at, task_path, queue_name, backend_name, priority, args, run_after,
         max_attempts, backoff_ms, timeout_ms, scheduled_at)
        SELECT $1, 'READY', now(), $2, $3, $4, $5, $6::jsonb, to_timestamp($7::float8 / 1000), $8, $9, $10, slot.slot_at
        FROM slot
        RETURNING *)
    SELECT ${rowColumns("ins")},
      CASE WHEN ins.run_after IS NULL OR ins.run_after <= now() THEN pg_notify($13, ins.queue_name) END AS woke
    FROM ins`;
  const values = [...newRowValues(row), slot.scheduleName, slot.slotAt, names.ready];
  return c.run("enqueueSlot", async (attempt) => {
    const result = await c.pool.query({ text, values });
    const inserted = result.rows[0] as PgRow | undefined;
    if (inserted) return toRow(inserted);
    // A retry after an unknown outcome: the first try may have committed this very slot.
    if (attempt.retry) {
      const mine = await c.pool.query(
        `SELECT ${rowColumns("t")} FROM ${names.table} t
           JOIN ${names.slots} s ON s.task_id = t.id
          WHERE s.schedule_name = $1 AND s.slot_at = $2::bigint AND t.id = $3`,
        [slot.scheduleName, slot.slotAt, row.id],
      );
      const found = mine.rows[0] as PgRow | undefined;
      if (found) return toRow(found);
    }
    return null;
  });
}

/** The latest slot recorded for the schedule, or null. */
export async function lastSlot(c: PgConnection, names: Channels, scheduleName: string): Promise<number | null> {
  return c.run("lastSlot", async () => {
    const result = await c.pool.query(
      `SELECT max(slot_at)::float8 AS last FROM ${names.slots} WHERE schedule_name = $1`,
      [scheduleName],
    );
    const last = (result.rows[0] as { last: number | null } | undefined)?.last;
    return last ?? null;
  });
}

/** See TaskStore.pruneSlots. */
export async function pruneSlots(
  c: PgConnection,
  names: Channels,
  request: { readonly minAgeMs: number; readonly dryRun: boolean },
): Promise<number> {
  // The latest of a schedule is never old enough: a slot recorded concurrently only raises the max.
  const where = `s.recorded_at <= now() - $1::float8 * interval '1 millisecond'
    AND s.slot_at < (SELECT max(l.slot_at) FROM ${names.slots} l WHERE l.schedule_name = s.schedule_name)`;
  if (request.dryRun) {
    return c.run("pruneSlots", async () => {
      const result = await c.pool.query(`SELECT count(*)::float8 AS n FROM ${names.slots} s WHERE ${where}`, [
        request.minAgeMs,
      ]);
      return result.rows[0]?.n as number;
    });
  }
  return deleteInBatches(
    c,
    "pruneSlots",
    (limit) =>
      `DELETE FROM ${names.slots} WHERE ctid IN (
         SELECT s.ctid FROM ${names.slots} s WHERE ${where} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    [request.minAgeMs],
  );
}
