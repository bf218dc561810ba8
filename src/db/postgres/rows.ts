import { claimOrder, type RawRow, ROW_COLUMNS, toTaskRow } from "../rows.ts";
import type { Claim, TaskRow } from "../store.ts";

/*
 * Times are stored as timestamptz and cross the wire as epoch milliseconds computed by the server,
 * so no client clock or time zone takes part. jsonb arrives parsed; bigint and the ms values come
 * as float8 (exact for integers below 2^53).
 */

const TIMES = new Set<string>([
  "enqueued_at",
  "started_at",
  "last_attempted_at",
  "finished_at",
  "run_after",
  "lease_expires_at",
  "changed_at",
]);

/** The SELECT / RETURNING list that `toRow` reads, for the table (or CTE) named `t`. */
export function rowColumns(t: string): string {
  return ROW_COLUMNS.map((column) => {
    if (TIMES.has(column)) return `floor(extract(epoch from ${t}.${column}) * 1000)::float8 AS ${column}`;
    if (column === "seq" || column === "backoff_ms" || column === "timeout_ms" || column === "scheduled_at") {
      return `${t}.${column}::float8 AS ${column}`;
    }
    return `${t}.${column}`;
  }).join(", ");
}

/** A row as pg parsed it. */
export type PgRow = RawRow & { readonly seq: number; readonly claim_token: string | null };

const DECODE = { json: (v: unknown) => v, integer: (v: unknown) => Number(v) };

export function toRow(raw: PgRow): TaskRow {
  return toTaskRow(raw, DECODE);
}

/** Claims in claim order (RETURNING keeps no order). */
export function toClaims(raws: readonly PgRow[], token: (raw: PgRow) => string): Claim[] {
  return raws
    .map((raw) => ({ row: toRow(raw), seq: raw.seq, token: token(raw) }))
    .sort(claimOrder)
    .map(({ row, token }) => ({ token, row }));
}
