import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { TaskStoreError } from "../../errors.ts";
import type { SqliteDatabase, SqliteDriver } from "./driver.ts";
import { inspectSchema, migrateSchema, refuseUnusable, type SchemaState } from "./migrate.ts";
import { LATEST_VERSION } from "./schema.ts";

/** How a SQLite store opens its file. */
export interface SqliteOpenOptions {
  /**
   * How long SQLite itself waits for another process's write lock, blocking the thread, before a
   * statement fails with SQLITE_BUSY (the store then waits longer, asynchronously).
   */
  readonly busyTimeoutMs: number;
  /** `normal`: WAL's usual setting, a power cut may lose the last commits; `full`: fsync every commit. */
  readonly synchronous: "normal" | "full";
}

const MAGIC = Buffer.from("SQLite format 3\0", "latin1");

/**
 * Opens (or creates) a tasklane SQLite database, ready for use: checked, migrated, in WAL mode.
 *
 * Everything that could refuse the file happens first, without writing: a file that is not
 * SQLite, belongs to something else, comes from a newer tasklane or cannot be read is left byte
 * for byte as it was, with no -wal, -shm or -journal file made beside it. Only then is it opened
 * for writing, migrated under the write lock and switched to WAL.
 * @throws TaskStoreError naming the path and the problem.
 */
export function openSqliteFile(driver: SqliteDriver, path: string, options: SqliteOpenOptions): SqliteDatabase {
  const state = probe(driver, path, options);
  refuseUnusable(state, path);
  let db: SqliteDatabase;
  try {
    db = new driver(path, { timeout: options.busyTimeoutMs });
  } catch (error) {
    throw sqliteOpenError(path, error);
  }
  try {
    // Versions only grow, so a probe that saw the latest one needs no write lock to confirm it.
    if (!(state.kind === "tasklane" && state.version === LATEST_VERSION)) migrateSchema(db, path);
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") {
      throw new TaskStoreError(`${path}: could not switch to WAL mode (got ${String(mode)}); use a local disk`);
    }
    db.pragma(`synchronous = ${options.synchronous.toUpperCase()}`);
    // When the -wal starts over, cut the file back to 64 MB instead of keeping its peak size: with
    // several processes writing back to back it starts over rarely (measured: 145 MB at peak over
    // 20,000 single-row claim+settle pairs from 4 processes; 20-40 MB when batching 16).
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    return db;
  } catch (error) {
    db.close();
    throw error instanceof TaskStoreError ? error : sqliteOpenError(path, error);
  }
}

/**
 * Reads what the file holds without changing it. A WAL-mode file whose -wal file is absent (closed
 * cleanly) is the one case that needs care: a read-only connection to it creates -wal and -shm and
 * cannot remove them, so it is read through a writable connection with `query_only`, which, being
 * the last connection to close, deletes what it created and leaves the main file as it was.
 */
function probe(driver: SqliteDriver, path: string, options: SqliteOpenOptions): SchemaState {
  const header = readHeader(path);
  // A missing file is created, and an empty one is an empty database: nothing to inspect.
  if (header === null || header.length === 0) return { kind: "empty" };
  if (header.length < 100 || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new TaskStoreError(`${path} is not an SQLite database (it does not start with the SQLite header)`);
  }
  const walMode = header[18] === 2 || header[19] === 2;
  const readonly = !walMode || existsSync(`${path}-wal`);
  let db: SqliteDatabase | undefined;
  try {
    db = new driver(path, { readonly, fileMustExist: true, timeout: options.busyTimeoutMs });
    if (!readonly) db.pragma("query_only = ON");
    return inspectSchema(db);
  } catch (error) {
    throw sqliteOpenError(path, error);
  } finally {
    db?.close();
  }
}

/** The first 100 bytes (the SQLite header), or null when the file does not exist yet. */
function readHeader(path: string): Buffer | null {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    throw new TaskStoreError(`${path} cannot be opened: ${(error as Error).message}`, { cause: error });
  }
  if (stat === undefined) {
    const dir = dirname(path);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new TaskStoreError(`${path} cannot be created: its directory ${dir} does not exist`);
    }
    return null;
  }
  if (!stat.isFile()) throw new TaskStoreError(`${path} cannot be opened: it is not a regular file`);
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const header = Buffer.alloc(100);
    const length = readSync(fd, header, 0, header.length, 0);
    return header.subarray(0, length);
  } catch (error) {
    throw new TaskStoreError(`${path} cannot be opened: ${(error as Error).message}`, { cause: error });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function sqliteOpenError(path: string, error: unknown): TaskStoreError {
  const code = (error as { code?: unknown }).code;
  const message = (error as Error).message;
  const problem =
    code === "SQLITE_NOTADB"
      ? "is not an SQLite database"
      : typeof code === "string" && code.startsWith("SQLITE_CORRUPT")
        ? `is a corrupt SQLite database (${message})`
        : `cannot be opened: ${message}${typeof code === "string" ? ` (${code})` : ""}`;
  return new TaskStoreError(`${path} ${problem}`, { cause: error });
}
