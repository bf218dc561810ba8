import { InvalidTaskBackend, TaskStoreError } from "../../errors.ts";
import type { PgConnection, PoolClient } from "./connection.ts";

/*
 * The PostgreSQL schema: the same tables, columns, checks and partial indexes as the SQLite schema
 * (../sqlite/schema.ts), inside a PostgreSQL schema of their own, with native types: timestamptz
 * for times (readable in psql, compared with the server's now(); the store reads them back as
 * epoch ms) and jsonb for JSON. Steps are numbered like SQLite's and recorded in
 * <schema>.tasklane_migrations; a released step is never edited, a change is a new step.
 */

/** What this tasklane knows; a database recording a higher version was migrated by a newer tasklane. */
export const SCHEMA_VERSION = 3;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/** The `schema` option must be a plain lower-case identifier (it also names the NOTIFY channels, max 63 bytes). */
export function validateSchemaName(schema: unknown): string {
  if (typeof schema !== "string" || !IDENTIFIER.test(schema)) {
    throw new InvalidTaskBackend(
      `schema: must be a lower-case SQL identifier (letters, digits, _; not starting with a digit; at most 48 characters), got ${JSON.stringify(schema)}`,
    );
  }
  return schema;
}

interface Step {
  readonly version: number;
  readonly description: string;
  sql(schema: string): string;
}

const STEPS: readonly Step[] = [
  {
    version: 1,
    description: "tasks table with claim, lease and prune indexes",
    sql: (s) => `
      CREATE TABLE "${s}".tasklane_tasks (
        -- Enqueue order: enqueued_at collides within a millisecond, a sequence does not.
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN ('READY', 'RUNNING', 'SUCCESSFUL', 'FAILED')),
        enqueued_at timestamptz NOT NULL,
        started_at timestamptz,
        last_attempted_at timestamptz,
        finished_at timestamptz,
        args jsonb NOT NULL,
        priority integer NOT NULL CHECK (priority BETWEEN -100 AND 100),
        task_path text NOT NULL,
        worker_ids jsonb NOT NULL DEFAULT '[]',
        queue_name text NOT NULL,
        backend_name text NOT NULL,
        run_after timestamptz,
        return_value jsonb,
        -- The last error, as django-tasks-db's columns; every error is in errors.
        exception_class_path text,
        traceback text,
        errors jsonb NOT NULL DEFAULT '[]',
        max_attempts integer NOT NULL CHECK (max_attempts >= 1),
        backoff_ms bigint,
        timeout_ms bigint,
        progress jsonb,
        locked_by text,
        lease_expires_at timestamptz,
        -- While RUNNING: the fence of the attempt. Unlike SQLite's, it is kept once the attempt
        -- settles, so a settle whose COMMIT outcome was unknown (the connection dropped) can tell
        -- on its retry that it was recorded. Only RUNNING rows are fenced by it.
        claim_token text,
        cancel_requested jsonb
      );
      -- The claim walks this in claim order; finished rows stay out of it.
      CREATE INDEX tasklane_tasks_ready ON "${s}".tasklane_tasks (priority DESC, run_after ASC NULLS LAST, seq)
        WHERE status = 'READY';
      -- The reaper looks for leases that ran out.
      CREATE INDEX tasklane_tasks_leases ON "${s}".tasklane_tasks (lease_expires_at) WHERE status = 'RUNNING';
      -- Prune deletes finished rows by age.
      CREATE INDEX tasklane_tasks_finished ON "${s}".tasklane_tasks (status, finished_at) WHERE finished_at IS NOT NULL;
    `,
  },
  {
    version: 2,
    description: "schedule slots, and the slot a task row was enqueued for",
    // Epoch ms as bigint, as in SQLite: a slot's key must compare exactly. task_id is no foreign
    // key: prune deletes finished task rows, and the slot must stay recorded after its task is gone.
    sql: (s) => `
      ALTER TABLE "${s}".tasklane_tasks ADD COLUMN scheduled_at bigint;
      CREATE TABLE "${s}".tasklane_schedule_slots (
        schedule_name text NOT NULL,
        slot_at bigint NOT NULL,
        task_id text NOT NULL,
        recorded_at timestamptz NOT NULL,
        UNIQUE (schedule_name, slot_at)
      );
    `,
  },
  {
    version: 3,
    description: "changed_at (kept by a trigger) and re-enqueue links, for the dashboard",
    // A trigger rather than a term in every statement: what a result shows changing is decided in
    // one place, and a lease renewal (only lease_expires_at) does not count.
    sql: (s) => `
      ALTER TABLE "${s}".tasklane_tasks ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now();
      ALTER TABLE "${s}".tasklane_tasks ADD COLUMN reenqueued_from text;
      ALTER TABLE "${s}".tasklane_tasks ADD COLUMN reenqueued_as text;
      UPDATE "${s}".tasklane_tasks SET changed_at = greatest(enqueued_at, last_attempted_at, finished_at);
      CREATE INDEX tasklane_tasks_changed ON "${s}".tasklane_tasks (changed_at);
      CREATE FUNCTION "${s}".tasklane_touch() RETURNS trigger LANGUAGE plpgsql AS $body$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          -- now(), as enqueued_at: a new row changed when it was enqueued.
          NEW.changed_at := now();
        ELSIF
           (NEW.status, NEW.started_at, NEW.last_attempted_at, NEW.finished_at, NEW.run_after, NEW.progress,
            NEW.errors, NEW.worker_ids, NEW.return_value, NEW.cancel_requested, NEW.reenqueued_as)
           IS DISTINCT FROM
           (OLD.status, OLD.started_at, OLD.last_attempted_at, OLD.finished_at, OLD.run_after, OLD.progress,
            OLD.errors, OLD.worker_ids, OLD.return_value, OLD.cancel_requested, OLD.reenqueued_as) THEN
          NEW.changed_at := clock_timestamp();
        END IF;
        RETURN NEW;
      END
      $body$;
      CREATE TRIGGER tasklane_touch BEFORE INSERT OR UPDATE ON "${s}".tasklane_tasks
        FOR EACH ROW EXECUTE FUNCTION "${s}".tasklane_touch();
    `,
  },
];

/**
 * Brings the schema up to date in one transaction under a transaction-scoped advisory lock keyed by
 * the schema name: a second process starting at the same moment waits for the first, then finds
 * nothing left to do. A refusal rolls back, so nothing in the database changed.
 */
export async function migrate(connection: PgConnection, schema: string): Promise<void> {
  await connection.run("migrate", () =>
    connection.transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`tasklane migrate ${schema}`]);
      const limit = await client.query("SELECT current_setting('max_connections')::int AS n");
      connection.maxConnections = limit.rows[0]?.n as number | undefined;
      const current = await currentVersion(client, schema, connection.location);
      if (current > SCHEMA_VERSION) {
        throw new TaskStoreError(
          `PostgreSQL ${connection.location}: schema "${schema}" is at version ${current}, newer than this tasklane knows (${SCHEMA_VERSION}); upgrade tasklane`,
        );
      }
      for (const step of STEPS) {
        if (step.version <= current) continue;
        await client.query(step.sql(schema));
        await client.query(
          `INSERT INTO "${schema}".tasklane_migrations (version, description, applied_at) VALUES ($1, $2, now())`,
          [step.version, step.description],
        );
      }
    }),
  );
}

/** The recorded version, creating the schema and its migrations table when there is none yet. */
async function currentVersion(client: PoolClient, schema: string, location: string): Promise<number> {
  const found = await client.query(
    `SELECT to_regclass($1) IS NOT NULL AS has_migrations,
            EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) AS has_schema,
            (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $2)::int AS relations`,
    [`"${schema}".tasklane_migrations`, schema],
  );
  const { has_migrations, has_schema, relations } = found.rows[0] as {
    has_migrations: boolean;
    has_schema: boolean;
    relations: number;
  };
  if (!has_migrations) {
    if (has_schema && relations > 0) {
      throw new TaskStoreError(
        `PostgreSQL ${location}: schema "${schema}" exists and holds other tables but no tasklane migrations table; it is not a tasklane schema (choose another with the \`schema\` option)`,
      );
    }
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE "${schema}".tasklane_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL)`,
    );
    return 0;
  }
  try {
    const row = await client.query(`SELECT coalesce(max(version), 0)::int AS v FROM "${schema}".tasklane_migrations`);
    return row.rows[0]?.v as number;
  } catch (error) {
    throw new TaskStoreError(
      `PostgreSQL ${location}: "${schema}".tasklane_migrations is not a tasklane migrations table (${(error as Error).message})`,
    );
  }
}
