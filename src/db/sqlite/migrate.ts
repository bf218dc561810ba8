import { TaskStoreError } from "../../errors.ts";
import type { SqliteDatabase } from "./driver.ts";
import { LATEST_VERSION, MIGRATION_STEPS, MIGRATIONS } from "./schema.ts";

/** What a database file holds, as far as tasklane is concerned. */
export type SchemaState =
  | { readonly kind: "empty" }
  | { readonly kind: "tasklane"; readonly version: number }
  | { readonly kind: "foreign"; readonly tables: readonly string[] };

/** Reads the schema without writing anything (safe on a read-only connection). */
export function inspectSchema(db: SqliteDatabase): SchemaState {
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
  )
    .map((row) => row.name)
    .filter((name) => !name.startsWith("sqlite_"));
  if (tables.includes(MIGRATIONS)) {
    const row = db.prepare(`SELECT max(version) AS version FROM ${MIGRATIONS}`).get() as { version: number | null };
    return { kind: "tasklane", version: row.version ?? 0 };
  }
  return tables.length === 0 ? { kind: "empty" } : { kind: "foreign", tables };
}

/** Throws unless the state is one tasklane may use (empty, or its own schema not newer than known). */
export function refuseUnusable(state: SchemaState, path: string): void {
  if (state.kind === "foreign") {
    const some = state.tables.slice(0, 5).join(", ") + (state.tables.length > 5 ? ", …" : "");
    throw new TaskStoreError(
      `${path} is not a tasklane database: it has other tables (${some}) and no ${MIGRATIONS} table; ` +
        "point the url at a new file",
    );
  }
  if (state.kind === "tasklane" && state.version > LATEST_VERSION) {
    throw new TaskStoreError(
      `${path} has schema version ${state.version}, newer than this tasklane knows (${LATEST_VERSION}): ` +
        "upgrade tasklane to use it",
    );
  }
}

/**
 * Applies the missing steps in one BEGIN IMMEDIATE transaction. The write lock is taken before the
 * schema is read, so of two processes opening a fresh file at once one migrates and the other,
 * waiting on busy_timeout, then finds nothing to do. The state is checked again under the lock:
 * what the unlocked probe saw may have changed since.
 */
export function migrateSchema(db: SqliteDatabase, path: string): void {
  db.transaction(() => {
    const state = inspectSchema(db);
    refuseUnusable(state, path);
    const current = state.kind === "tasklane" ? state.version : 0;
    for (const step of MIGRATION_STEPS) {
      if (step.version <= current) continue;
      db.exec(step.sql);
      // Prepared after the step: before the first one, the table does not exist yet.
      db.prepare(
        `INSERT INTO ${MIGRATIONS} (version, description, applied_at) ` +
          "VALUES (?, ?, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
      ).run(step.version, step.description);
    }
  }).immediate();
}
