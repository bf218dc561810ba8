import type { NewTaskRow, TaskRow } from "../store.ts";
import type { PgConnection } from "./connection.ts";
import { isTransient } from "./failures.ts";
import * as reads from "./reads.ts";
import { type PgRow, rowColumns, toRow } from "./rows.ts";
import type { Channels } from "./sql-names.ts";

/*
 * Group insert for enqueues through the store's own pool. Enqueues made while earlier ones are
 * still on their way to the server wait for them and then go as one multi-row INSERT: one round
 * trip, one commit, and one notification per queue (the server folds a transaction's identical
 * NOTIFYs into one) instead of one of each per task. A lone enqueue is sent at once, as before:
 * batching costs nothing when there is no queue of them. Measured with `tasklane bench` (the
 * PostgreSQL flood, 16 enqueues in flight): see the README's database table.
 *
 * A batch is all or nothing on the server, so a row the server refuses (text PostgreSQL cannot
 * store, such as "\u0000") would fail the others with it: a batch refused for anything but a lost
 * connection is sent again row by row, and only the bad row's enqueue fails, with its own error.
 */

/**
 * Batches on their way to the server at once; more enqueues wait and join the next one. 1 rather
 * than 2: in five alternating pairs of a 20,000-task PostgreSQL flood (16 enqueues in flight, 2
 * workers) 1 was faster in four, by 2–19% (0.4% slower in the fifth); an enqueue waits at most for one
 * batch before its own.
 */
const IN_FLIGHT = 1;
/** Rows per INSERT at most (a bound on one statement's size). */
const MAX_ROWS = 500;

interface Pending {
  readonly row: NewTaskRow;
  readonly resolve: (row: TaskRow) => void;
  readonly reject: (error: unknown) => void;
}

export class EnqueueBatcher {
  readonly #connection: PgConnection;
  readonly #names: Channels;
  #queue: Pending[] = [];
  #inFlight = 0;
  #flushQueued = false;

  /** The batch statement: the same text for every batch of this store (a prepared statement). */
  readonly #text: string;

  constructor(connection: PgConnection, names: Channels) {
    this.#connection = connection;
    this.#names = names;
    this.#text = `WITH v AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[],
                             $7::float8[], $8::int[], $9::bigint[], $10::bigint[])
          WITH ORDINALITY AS v(id, task_path, queue_name, backend_name, priority, args, run_after,
                               max_attempts, backoff_ms, timeout_ms, n)),
      ins AS (
        INSERT INTO ${names.table} (id, status, enqueued_at, task_path, queue_name, backend_name, priority, args,
                          run_after, max_attempts, backoff_ms, timeout_ms, errors)
        SELECT id, 'READY', now(), task_path, queue_name, backend_name, priority, args::jsonb,
               to_timestamp(run_after / 1000), max_attempts, backoff_ms, timeout_ms, '[]'::jsonb
        FROM v ORDER BY n
        ON CONFLICT (id) DO NOTHING
        RETURNING *)
      SELECT ${rowColumns("ins")},
        CASE WHEN ins.run_after IS NULL OR ins.run_after <= now() THEN pg_notify($11, ins.queue_name) END AS woke
      FROM ins`;
  }

  /** Inserts the row (READY, not cancelled) and resolves with it as stored. */
  enqueue(row: NewTaskRow): Promise<TaskRow> {
    return new Promise<TaskRow>((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      // After this turn's synchronous enqueues (a `Promise.all(items.map(...))`), not per call.
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(() => {
          this.#flushQueued = false;
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    while (this.#inFlight < IN_FLIGHT && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_ROWS);
      this.#inFlight++;
      void this.#send(batch).finally(() => {
        this.#inFlight--;
        this.#flush();
      });
    }
  }

  async #send(batch: Pending[]): Promise<void> {
    const first = batch[0];
    if (batch.length === 1 && first !== undefined) {
      await reads.enqueue(this.#connection, this.#names, first.row).then(first.resolve, first.reject);
      return;
    }
    let stored: Map<string, TaskRow> | "refused";
    try {
      stored = await this.#insertMany(batch.map((p) => p.row));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    if (stored === "refused") {
      await Promise.all(
        batch.map((p) => reads.enqueue(this.#connection, this.#names, p.row).then(p.resolve, p.reject)),
      );
      return;
    }
    for (const p of batch) {
      const row = stored.get(p.row.id);
      if (row) p.resolve(row);
      else p.reject(this.#connection.fail("enqueue", new Error(`a row with id ${p.row.id} already exists`)));
    }
  }

  /**
   * One statement for the whole batch. Ids are UUIDs made for these rows, so an id already there on
   * a retry (the first try's outcome was unknown) is that try's row, committed: it is read back.
   */
  #insertMany(rows: readonly NewTaskRow[]): Promise<Map<string, TaskRow> | "refused"> {
    // Row-major values, transposed into one array per column for unnest().
    const perRow = rows.map(reads.newRowValues);
    const columns = (perRow[0] ?? []).map((_, c) => perRow.map((values) => values[c]));
    const values = [...columns, this.#names.ready];
    return this.#connection.run("enqueue", async (attempt) => {
      let result: { rows: unknown[] };
      try {
        result = await this.#connection.pool.query({
          name: `tasklane_enqueue_many_${this.#names.schema}`,
          text: this.#text,
          values,
        });
      } catch (error) {
        if (!isTransient(error)) return "refused";
        throw error;
      }
      const stored = new Map<string, TaskRow>();
      for (const raw of result.rows) {
        const row = toRow(raw as PgRow);
        stored.set(row.id, row);
      }
      if (attempt.retry && stored.size < rows.length) {
        for (const row of rows) {
          if (stored.has(row.id)) continue;
          const existing = await reads.get(this.#connection.pool, this.#names, row.id);
          if (existing) stored.set(row.id, existing);
        }
      }
      return stored;
    });
  }
}
