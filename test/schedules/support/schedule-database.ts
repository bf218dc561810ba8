/**
 * The database the scheduling worker tests share with their `tasklane worker` processes, on
 * either dialect: a fresh SQLite file, or a fresh PostgreSQL database on the run's throwaway
 * server (only where there is one), read back by the test with the same row shapes on both.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Driver from "better-sqlite3";
import { openStore } from "../../../src/db/open-store.ts";
import type { TaskStore } from "../../../src/db/store.ts";
import { closablePool, postgresTestServer } from "../../support/postgres.ts";

export type ScheduleDialect = "sqlite" | "postgres";

/** The dialects the tests run on: PostgreSQL only where the run has a server (CI must). */
export const SCHEDULE_DIALECTS: readonly ScheduleDialect[] = [
  "sqlite",
  ...(postgresTestServer().skip === undefined ? (["postgres"] as const) : []),
];

/**
 * A non-default schema on PostgreSQL, so the test also sees the `schema` option reach the workers
 * and `tasklane schedules`.
 */
const PG_SCHEMA = "sched";

export interface SlotRow {
  schedule_name: string;
  slot_at: number;
  task_id: string;
}

export interface TaskRowRead {
  id: string;
  status: string;
  /** The arguments as JSON text. */
  args: string;
  scheduled_at: number | null;
  /** The return value as JSON text, or null. */
  return_value: string | null;
}

export interface ScheduleDatabase {
  readonly dialect: ScheduleDialect;
  /** The working directory of the workers, holding the config files (and the SQLite file). */
  readonly dir: string;
  /** Writes a config file (database backend `default`, queues default and reports) with these schedules. */
  config(name: string, schedules: readonly object[]): string;
  /** The slots table, oldest first. */
  slots(): Promise<SlotRow[]>;
  /** The task rows, in enqueue order. */
  tasks(): Promise<TaskRowRead[]>;
  /** A store on the database, as the backend opens it (close it yourself). */
  openStore(): Promise<TaskStore>;
  /** Removes the directory, and on PostgreSQL drops the database. */
  remove(): Promise<void>;
}

/** The same order on both dialects: slot_at is unique within a schedule, the name breaks ties. */
const SLOT_ORDER = "ORDER BY slot_at, schedule_name";

export async function scheduleDatabase(dialect: ScheduleDialect): Promise<ScheduleDatabase> {
  // The PostgreSQL database first: if it cannot be made, there is no directory to leak.
  const pgReader = dialect === "postgres" ? await postgresReader() : null;
  const dir = mkdtempSync(join(tmpdir(), "tasklane-sched-"));
  const reader = pgReader ?? sqliteReader(join(dir, "tasks.db"));
  return {
    dialect,
    dir,
    config(name, schedules) {
      const path = join(dir, `${name}.json`);
      const entry = { backend: "database", queues: ["default", "reports"], options: reader.options, schedules };
      writeFileSync(path, JSON.stringify({ default: entry }, null, 2));
      return path;
    },
    slots: () => reader.slots(),
    tasks: () => reader.tasks(),
    openStore: () => {
      const { url, ...options } = reader.options;
      return openStore(url, options);
    },
    async remove() {
      try {
        await reader.remove();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

interface Reader {
  /** The backend options: `url`, and `schema` on PostgreSQL. */
  readonly options: { url: string; schema?: string };
  slots(): Promise<SlotRow[]>;
  tasks(): Promise<TaskRowRead[]>;
  remove(): Promise<void>;
}

function sqliteReader(file: string): Reader {
  const read = <T>(sql: string): T[] => {
    const db = new Driver(file, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };
  return {
    options: { url: `sqlite:${file}` },
    slots: async () => read(`SELECT schedule_name, slot_at, task_id FROM tasklane_schedule_slots ${SLOT_ORDER}`),
    tasks: async () => read("SELECT id, status, args, scheduled_at, return_value FROM tasklane_tasks ORDER BY seq"),
    remove: async () => {},
  };
}

async function postgresReader(): Promise<Reader> {
  const server = postgresTestServer();
  const url = await server.freshDatabase();
  // One connection for the test's reads; the search path stands in for SQLite's unqualified names.
  const pool = closablePool({ connectionString: url, max: 1, options: `-c search_path=${PG_SCHEMA}` });
  // bigint comes back as a string by default and jsonb parsed: cast to the shapes SQLite gives.
  const query = async <T>(text: string): Promise<T[]> => (await pool.query(text)).rows as T[];
  return {
    options: { url, schema: PG_SCHEMA },
    slots: () =>
      query(`SELECT schedule_name, slot_at::float8 AS slot_at, task_id FROM tasklane_schedule_slots ${SLOT_ORDER}`),
    tasks: () =>
      query(
        `SELECT id, status, args::text AS args, scheduled_at::float8 AS scheduled_at,
                return_value::text AS return_value
           FROM tasklane_tasks ORDER BY seq`,
      ),
    async remove() {
      try {
        await pool.end();
      } finally {
        await server.dropDatabase(url);
      }
    },
  };
}
