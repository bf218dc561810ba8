import { InvalidTaskBackend, TaskStoreError } from "../errors.ts";
import type { TaskStore } from "./store.ts";
import { parseDatabaseUrl } from "./url.ts";

/** Options of a store, whatever its dialect (each dialect ignores what it has no use for). */
export interface StoreOptions {
  /**
   * SQLite: how long an operation waits in all for another process's write lock before it fails
   * with TaskStoreError (SQLITE_BUSY). Only the first 100 ms block the event loop; the rest are
   * jittered retries.
   * @defaultValue 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite: `normal` (WAL's usual setting: a power cut may lose the last commits, never corrupts)
   * or `full` (fsync at every commit; measured about 4 times slower on claim+complete).
   * @defaultValue "normal"
   */
  readonly synchronous?: "normal" | "full";
}

/**
 * Opens the store for a database URL, choosing the dialect by its scheme and loading that dialect's
 * driver (an optional peer dependency) only now. Nothing is read or written until the store is
 * first used. Messages about the URL name the option (`url: …`), for the backend to prefix.
 * @throws InvalidTaskBackend for a URL of a form tasklane does not know.
 * @throws TaskStoreError when the driver is missing or cannot load.
 */
export async function openStore(url: string, options: StoreOptions = {}): Promise<TaskStore> {
  const location = parseDatabaseUrl(url);
  if (location.dialect === "postgres") {
    throw new TaskStoreError("url: PostgreSQL (postgres://, postgresql://) is not yet supported; use sqlite:");
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > 0x7fffffff) {
    throw new InvalidTaskBackend(`busyTimeoutMs: must be a whole number of milliseconds >= 0 (got ${busyTimeoutMs})`);
  }
  const synchronous = options.synchronous ?? "normal";
  if (synchronous !== "normal" && synchronous !== "full") {
    throw new InvalidTaskBackend(`synchronous: must be "normal" or "full" (got ${JSON.stringify(synchronous)})`);
  }
  const [{ loadSqliteDriver }, { SqliteStore }] = await Promise.all([
    import("./sqlite/driver.ts"),
    import("./sqlite/store.ts"),
  ]);
  return new SqliteStore(loadSqliteDriver(), location.path, { busyTimeoutMs, synchronous });
}
