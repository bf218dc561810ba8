/**
 * The SQLite statements of the store. Parameters are named (`@name`); arrays travel as JSON text
 * and are unpacked with `json_each`, so each statement is prepared once whatever the list length.
 */
import { ROW_COLUMNS } from "../rows.ts";
import { RUN_AFTER_KEY, SLOTS, TASKS } from "./schema.ts";

/** The database's clock in epoch ms. One statement sees one value (SQLite fixes 'now' per step). */
export const NOW = "CAST(round(unixepoch('subsec') * 1000) AS INTEGER)";

const COLUMNS = ROW_COLUMNS.join(", ");
/**
 * A bare `LIMIT @n` makes SQLite 3.53 prepare the statement again at every run, which made the
 * claim 5 times slower (measured: ~500 µs against ~100 µs on a loaded 2-core machine); a LIMIT
 * that is an expression of the parameter does not.
 */
const limit = (param: string) => `LIMIT CAST(${param} AS INTEGER)`;
const FRESH_TOKEN = "lower(hex(randomblob(16)))";
/** A claim's fence: only the holder of the current token may change a running row. */
const FENCE = "id = @id AND claim_token = @token AND status = 'RUNNING'";
/** Marks a row as changed for the dashboard's live feed. */
const CHANGED = `changed_at = ${NOW}`;
const RELEASE = "locked_by = NULL, lease_expires_at = NULL, claim_token = NULL";
const APPEND_ERROR =
  "errors = json_insert(errors, '$[#]', json(@error)), exception_class_path = @errorClass, traceback = @traceback";
/** `@all = 1` means every queue; otherwise `@queues` is a JSON array of names. */
const IN_QUEUES = "(@all = 1 OR queue_name IN (SELECT value FROM json_each(@queues)))";

export const SQL = {
  insert: `INSERT INTO ${TASKS} (id, status, enqueued_at, changed_at, args, priority, task_path, queue_name,
      backend_name, run_after, max_attempts, backoff_ms, timeout_ms)
    VALUES (@id, 'READY', ${NOW}, ${NOW}, @args, @priority, @taskPath, @queueName, @backendName,
      @runAfter, @maxAttempts, @backoffMs, @timeoutMs)
    RETURNING ${COLUMNS}`,

  /** The task row of a schedule slot, written right after its slot row (same transaction). */
  insertScheduled: `INSERT INTO ${TASKS} (id, status, enqueued_at, changed_at, args, priority, task_path, queue_name,
      backend_name, run_after, max_attempts, backoff_ms, timeout_ms, scheduled_at)
    VALUES (@id, 'READY', ${NOW}, ${NOW}, @args, @priority, @taskPath, @queueName, @backendName,
      @runAfter, @maxAttempts, @backoffMs, @timeoutMs, @slotAt)
    RETURNING ${COLUMNS}`,

  /**
   * Records a slot unless it, or a later slot of its schedule, is recorded: the unique key makes two
   * workers agree on one slot, and the NOT EXISTS keeps a lagging worker from going back in time.
   * The SELECT's WHERE also settles SQLite's parsing of ON CONFLICT after INSERT … SELECT.
   */
  insertSlot: `INSERT INTO ${SLOTS} (schedule_name, slot_at, task_id, recorded_at)
    SELECT @name, @slotAt, @id, ${NOW}
    WHERE NOT EXISTS (SELECT 1 FROM ${SLOTS} WHERE schedule_name = @name AND slot_at >= @slotAt)
    ON CONFLICT (schedule_name, slot_at) DO NOTHING`,

  lastSlot: `SELECT max(slot_at) AS last FROM ${SLOTS} WHERE schedule_name = ?`,

  /** A row born FAILED: enqueued with a signal that had already aborted, so no worker may ever claim it. */
  insertCancelled: `INSERT INTO ${TASKS} (id, status, enqueued_at, finished_at, changed_at, args, priority, task_path,
      queue_name, backend_name, run_after, max_attempts, backoff_ms, timeout_ms, errors, exception_class_path, traceback)
    VALUES (@id, 'FAILED', ${NOW}, ${NOW}, ${NOW}, @args, @priority, @taskPath, @queueName, @backendName,
      @runAfter, @maxAttempts, @backoffMs, @timeoutMs, json_array(json(@error)), @errorClass, @traceback)
    RETURNING ${COLUMNS}`,

  get: `SELECT ${COLUMNS} FROM ${TASKS} WHERE id = ?`,

  claim: `UPDATE ${TASKS} SET status = 'RUNNING', started_at = ifnull(started_at, ${NOW}),
      last_attempted_at = ${NOW}, worker_ids = json_insert(worker_ids, '$[#]', @worker),
      locked_by = @worker, lease_expires_at = ${NOW} + @leaseMs, claim_token = ${FRESH_TOKEN}, ${CHANGED}
    WHERE seq IN (
      SELECT seq FROM ${TASKS}
      WHERE status = 'READY' AND (run_after IS NULL OR run_after <= ${NOW}) AND ${IN_QUEUES}
        AND queue_name NOT IN (SELECT value FROM json_each(@exclude))
      ORDER BY priority DESC, ${RUN_AFTER_KEY}, seq
      ${limit("@limit")})
    RETURNING ${COLUMNS}`,

  renew: `UPDATE ${TASKS} SET lease_expires_at = ${NOW} + @leaseMs
    WHERE ${FENCE} AND locked_by = @worker
    RETURNING cancel_requested`,

  succeed: `UPDATE ${TASKS} SET status = 'SUCCESSFUL', return_value = @value, finished_at = ${NOW}, ${RELEASE}, ${CHANGED}
    WHERE ${FENCE}`,

  fail: `UPDATE ${TASKS} SET status = 'FAILED', ${APPEND_ERROR}, finished_at = ${NOW}, ${RELEASE}, ${CHANGED}
    WHERE ${FENCE}`,

  /**
   * A retry of a row whose cancel was asked for ends FAILED instead: the attempt ended on its own
   * before its worker could stop it, and the user still wants no further attempt.
   */
  retry: `UPDATE ${TASKS} SET ${APPEND_ERROR}, ${RELEASE}, ${CHANGED},
      status = CASE WHEN cancel_requested IS NULL THEN 'READY' ELSE 'FAILED' END,
      run_after = CASE WHEN cancel_requested IS NULL THEN ${NOW} + @delayMs ELSE run_after END,
      finished_at = CASE WHEN cancel_requested IS NULL THEN NULL ELSE ${NOW} END
    WHERE ${FENCE}
    RETURNING status`,

  progress: `UPDATE ${TASKS} SET progress = @progress, ${CHANGED} WHERE ${FENCE}`,

  expired: `SELECT seq, locked_by FROM ${TASKS}
    WHERE status = 'RUNNING' AND lease_expires_at <= ${NOW}
    ORDER BY lease_expires_at ${limit("@limit")}`,

  takeOver: `UPDATE ${TASKS} SET locked_by = @reaper, lease_expires_at = ${NOW} + @leaseMs,
      claim_token = ${FRESH_TOKEN}
    WHERE seq = @seq AND status = 'RUNNING'
    RETURNING ${COLUMNS}`,

  cancelReady: `UPDATE ${TASKS} SET status = 'FAILED', ${APPEND_ERROR}, finished_at = ${NOW}, ${CHANGED}
    WHERE id = @id AND status = 'READY'`,

  cancelRunning: `UPDATE ${TASKS} SET cancel_requested = ifnull(cancel_requested, json(@error))
    WHERE id = @id AND status = 'RUNNING'`,

  exists: `SELECT 1 AS found FROM ${TASKS} WHERE id = ?`,

  /** Finished rows old enough to prune. `finished_at <= …` also lets SQLite use the partial index. */
  pruneWhere: `((status = 'SUCCESSFUL' AND finished_at <= ${NOW} - @minAgeMs)
      OR (status = 'FAILED' AND finished_at <= ${NOW} - @failedMinAgeMs)) AND ${IN_QUEUES}`,

  latestChange: `SELECT ifnull(max(changed_at), 0) AS latest FROM ${TASKS}`,

  /** Oldest change first: the live feed moves its watermark to the last row it got. */
  changedSince: `SELECT ${COLUMNS} FROM ${TASKS} WHERE changed_at >= @since ORDER BY changed_at ${limit("@limit")}`,

  /** Finished rows per minute and status; the status term lets SQLite walk the finished index. */
  finishedPerMinute: `SELECT finished_at / 60000 AS minute, status, count(*) AS count FROM ${TASKS}
    WHERE status IN ('SUCCESSFUL', 'FAILED') AND finished_at >= @since
    GROUP BY minute, status ORDER BY minute, status`,

  finishedTimings: `SELECT status, enqueued_at, started_at, finished_at FROM ${TASKS}
    WHERE status IN ('SUCCESSFUL', 'FAILED') AND finished_at >= @since
    ORDER BY finished_at DESC ${limit("@limit")}`,

  /** The FAILED row as a fresh READY one, linked to it; nothing when it is not FAILED or was re-enqueued already. */
  reenqueue: `INSERT INTO ${TASKS} (id, status, enqueued_at, changed_at, args, priority, task_path, queue_name,
      backend_name, run_after, max_attempts, backoff_ms, timeout_ms, reenqueued_from)
    SELECT @newId, 'READY', ${NOW}, ${NOW}, args, priority, task_path, queue_name, backend_name, NULL,
      max_attempts, backoff_ms, timeout_ms, id
    FROM ${TASKS} WHERE id = @id AND status = 'FAILED' AND reenqueued_as IS NULL
    RETURNING ${COLUMNS}`,

  linkReenqueued: `UPDATE ${TASKS} SET reenqueued_as = @newId, ${CHANGED} WHERE id = @id`,

  reenqueueState: `SELECT status, reenqueued_as FROM ${TASKS} WHERE id = ?`,

  counts: `SELECT queue_name, status, count(*) AS count FROM ${TASKS} GROUP BY queue_name, status
    ORDER BY queue_name, status`,
} as const;

export const pruneCount = `SELECT count(*) AS count FROM ${TASKS} WHERE ${SQL.pruneWhere}`;
export const pruneBatch = `DELETE FROM ${TASKS} WHERE seq IN (SELECT seq FROM ${TASKS} WHERE ${SQL.pruneWhere} ${limit("@batch")})`;

/** Slot records old enough to prune, but never a schedule's latest (see TaskStore.pruneSlots). */
const slotPruneWhere = `s.recorded_at <= ${NOW} - @minAgeMs
  AND s.slot_at < (SELECT max(l.slot_at) FROM ${SLOTS} l WHERE l.schedule_name = s.schedule_name)`;
export const slotPruneCount = `SELECT count(*) AS count FROM ${SLOTS} s WHERE ${slotPruneWhere}`;
export const slotPruneBatch = `DELETE FROM ${SLOTS} WHERE rowid IN
  (SELECT s.rowid FROM ${SLOTS} s WHERE ${slotPruneWhere} ${limit("@batch")})`;

/** A `list()` query for the filters given (a handful of shapes, each prepared once). */
export function listSql(filters: {
  statuses: boolean;
  queues: boolean;
  taskPath: boolean;
  idContains: boolean;
  after: boolean;
}): string {
  const where = ["1 = 1"];
  if (filters.statuses) where.push("status IN (SELECT value FROM json_each(@statuses))");
  if (filters.queues) where.push("queue_name IN (SELECT value FROM json_each(@queues))");
  if (filters.taskPath) where.push("task_path = @taskPath");
  if (filters.idContains) where.push("instr(id, @idContains) > 0");
  if (filters.after) where.push("seq < @after");
  return `SELECT ${COLUMNS} FROM ${TASKS} WHERE ${where.join(" AND ")} ORDER BY seq DESC ${limit("@limit")}`;
}
