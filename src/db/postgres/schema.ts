import { TaskStoreError } from "../../errors.ts";
import type { PgConnection, PoolClient } from "./connection.ts";

/*
 * The PostgreSQL schema: the same table, columns and meaning as the SQLite schema, with native
 * types (uuid, timestamptz, jsonb). Steps are numbered like SQLite's and recorded in
 * <schema>.migrations; they only ever get appended.
 */

/** What this tasklane knows; a database recording a higher version was migrated by a newer tasklane. */
export const SCHEMA_VERSION = 1;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/** The `schema` option must be a plain lower-case identifier (it also names the NOTIFY channels, max 63 bytes). */
export function validateSchemaName(schema: unknown): string {
  if (typeof schema !== "string" || !IDENTIFIER.test(schema)) {
    throw new TypeError(
      `schema: must be a lower-case SQL identifier (letters, digits, _; not starting with a digit; at most 48 characters), got ${JSON.stringify(schema)}`,
    );
  }
  return schema;
}

interface Step {
  readonly version: number;
  readonly name: string;
  sql(schema: string): string;
}

const STEPS: readonly Step[] = [
  {
    version: 1,
    name: "task_results",
    sql: (s) => `
      CREATE TABLE "${s}".task_results (
        id uuid PRIMARY KEY,
        -- Enqueue order: enqueued_at collides within a millisecond, a sequence does not.
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        status text NOT NULL CHECK (status IN ('READY', 'RUNNING', 'SUCCESSFUL', 'FAILED')),
        task_path text NOT NULL,
        queue_name text NOT NULL,
        backend_name text NOT NULL,
        priority integer NOT NULL CHECK (priority BETWEEN -100 AND 100),
        args jsonb NOT NULL CHECK (jsonb_typeof(args) = 'array'),
        enqueued_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        last_attempted_at timestamptz,
        finished_at timestamptz,
        run_after timestamptz,
        return_value jsonb,
        errors jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(errors) = 'array'),
        worker_ids jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(worker_ids) = 'array'),
        max_attempts integer NOT NULL CHECK (max_attempts >= 1),
        backoff_ms bigint CHECK (backoff_ms >= 0),
        timeout_ms bigint CHECK (timeout_ms > 0),
        progress jsonb,
        locked_by text,
        lease_expires_at timestamptz,
        -- The token of the latest attempt. Kept after it settles, so a settle whose COMMIT
        -- outcome was unknown can tell on its retry that it was recorded.
        claim_token text,
        cancel_requested jsonb,
        CONSTRAINT task_results_running_has_lease
          CHECK ((status = 'RUNNING') = (locked_by IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CONSTRAINT task_results_running_has_token CHECK (status <> 'RUNNING' OR claim_token IS NOT NULL),
        CONSTRAINT task_results_finished_has_time
          CHECK ((status IN ('SUCCESSFUL', 'FAILED')) = (finished_at IS NOT NULL))
      );
      -- The claim reads this index in claim order; finished rows stay out of it.
      CREATE INDEX task_results_ready ON "${s}".task_results (priority DESC, run_after ASC NULLS LAST, seq ASC)
        WHERE status = 'READY';
      CREATE INDEX task_results_leases ON "${s}".task_results (lease_expires_at) WHERE status = 'RUNNING';
      CREATE INDEX task_results_finished ON "${s}".task_results (finished_at)
        WHERE status IN ('SUCCESSFUL', 'FAILED');
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
        await client.query(`INSERT INTO "${schema}".migrations (version, name) VALUES ($1, $2)`, [
          step.version,
          step.name,
        ]);
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
    [`"${schema}".migrations`, schema],
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
      `CREATE TABLE "${schema}".migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    return 0;
  }
  try {
    const row = await client.query(`SELECT coalesce(max(version), 0)::int AS v FROM "${schema}".migrations`);
    return row.rows[0]?.v as number;
  } catch (error) {
    throw new TaskStoreError(
      `PostgreSQL ${location}: "${schema}".migrations is not a tasklane migrations table (${(error as Error).message})`,
    );
  }
}
