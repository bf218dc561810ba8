/** The names one store's SQL uses, all derived from its validated schema name. */
export interface Channels {
  readonly schema: string;
  /** The quoted, schema-qualified results table. */
  readonly table: string;
  /** The quoted, schema-qualified table of schedule slots. */
  readonly slots: string;
  /** NOTIFY channel: rows may have become ready (payload: the queue name). */
  readonly ready: string;
  /** NOTIFY channel: rows finished (payload: their ids, comma-separated). */
  readonly finished: string;
}

export function namesFor(schema: string): Channels {
  return {
    schema,
    table: `"${schema}".tasklane_tasks`,
    slots: `"${schema}".tasklane_schedule_slots`,
    ready: `${schema}_ready`,
    finished: `${schema}_finished`,
  };
}
