import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { TaskStoreError } from "../../errors.ts";

/** better-sqlite3's Database constructor. */
export type SqliteDriver = typeof BetterSqlite3;
/** An open better-sqlite3 connection. */
export type SqliteDatabase = BetterSqlite3.Database;

/** `unixepoch('subsec')`, the database clock every statement compares with, came in 3.42. */
const MIN_SQLITE = [3, 42, 0] as const;

const APPROVE =
  "On npm >= 11.19 also allow its build step: npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3.";

let loaded: SqliteDriver | undefined;

/**
 * Loads better-sqlite3, an optional peer dependency, the first time a SQLite store is used, and
 * checks that its native part loads and its SQLite is recent enough, so an app that never uses a
 * database backend never needs it. `specifier` exists for the tests (a missing or broken copy).
 * @throws TaskStoreError saying what to install or rebuild.
 */
export function loadSqliteDriver(specifier = "better-sqlite3"): SqliteDriver {
  if (specifier === "better-sqlite3" && loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  let driver: SqliteDriver;
  try {
    driver = require(specifier) as SqliteDriver;
  } catch (error) {
    if (String((error as Error).message).startsWith(`Cannot find module '${specifier}'`)) {
      throw new TaskStoreError(
        `The sqlite: database backend needs the optional package better-sqlite3, which is not installed: ` +
          `npm install better-sqlite3@^12. ${APPROVE}`,
        { cause: error },
      );
    }
    throw new TaskStoreError(`better-sqlite3 could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  checkNative(driver);
  if (specifier === "better-sqlite3") loaded = driver;
  return driver;
}

/** The JavaScript part loads without the compiled addon; opening a database is what needs it. */
function checkNative(driver: SqliteDriver): void {
  let version: string;
  try {
    const probe = new driver(":memory:");
    version = (probe.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
    probe.close();
  } catch (error) {
    const message = (error as Error).message;
    if (message.includes("Could not locate the bindings file")) {
      throw new TaskStoreError(
        `better-sqlite3 is installed but its native addon was not built (npm skipped its install script). ${APPROVE}`,
        { cause: error },
      );
    }
    if (message.includes("NODE_MODULE_VERSION") || message.includes("different Node.js version")) {
      throw new TaskStoreError(
        `better-sqlite3 was built for another Node.js version than ${process.version}: npm rebuild better-sqlite3.`,
        { cause: error },
      );
    }
    throw new TaskStoreError(`better-sqlite3 could not open a database: ${message}`, { cause: error });
  }
  if (olderThan(version, MIN_SQLITE)) {
    throw new TaskStoreError(
      `better-sqlite3 uses SQLite ${version}; tasklane needs SQLite >= ${MIN_SQLITE.join(".")} ` +
        "(install better-sqlite3@^12 with its bundled SQLite).",
    );
  }
}

function olderThan(version: string, minimum: readonly number[]): boolean {
  const parts = version.split(".").map(Number);
  for (const [i, want] of minimum.entries()) {
    const have = parts[i] ?? 0;
    if (have !== want) return have < want;
  }
  return false;
}
