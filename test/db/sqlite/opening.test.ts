/**
 * Opening a SQLite file: what is refused (and left byte for byte as it was, with nothing created
 * beside it), what is created, and the settings every connection gets.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../../src/db/open-store.ts";
import { loadSqliteDriver } from "../../../src/db/sqlite/driver.ts";
import { openSqliteFile } from "../../../src/db/sqlite/open.ts";
import { MIGRATION_STEPS } from "../../../src/db/sqlite/schema.ts";
import { newRow } from "../support/rows.ts";
import { snapshot } from "./support.ts";

const Driver = loadSqliteDriver();
const root = mkdtempSync(join(tmpdir(), "tasklane-open-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dir: string;
let n = 0;
beforeEach(() => {
  dir = join(root, `case-${++n}`);
  mkdirSync(dir);
});

/** Opens a store on `path` and uses it; resolves with the error it failed with. */
async function refusal(path: string): Promise<Error & { code?: string }> {
  const store = await openStore(`sqlite:${path}`);
  try {
    await store.migrate();
  } catch (error) {
    return error as Error;
  } finally {
    await store.close();
  }
  throw new Error(`${path} was accepted`);
}

/** A tasklane database made through the store, closed cleanly. */
async function tasklaneFile(path: string): Promise<void> {
  const store = await openStore(`sqlite:${path}`);
  await store.enqueue(newRow());
  await store.close();
}

describe("opening a file that is not a usable tasklane database", () => {
  it.each([
    ["text", "this is a shopping list, not a database\n".repeat(20)],
    ["short", "SQLite"],
    ["binary", Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 31) % 256))],
  ])("refuses a file that is not SQLite (%s) and leaves it alone", async (_kind, content) => {
    const path = join(dir, "tasks.db");
    writeFileSync(path, content);
    const before = snapshot(dir);
    const error = await refusal(path);
    expect(error).toMatchObject({ code: "TASKLANE_DATABASE" });
    expect(error.message).toBe(`${path} is not an SQLite database (it does not start with the SQLite header)`);
    expect(snapshot(dir)).toEqual(before);
  });

  it.each(["delete", "wal"])("refuses another application's SQLite database (%s journal)", async (mode) => {
    const path = join(dir, "app.db");
    const other = new Driver(path);
    other.pragma(`journal_mode = ${mode}`);
    other.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada');");
    other.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY)");
    other.close();
    const before = snapshot(dir);
    expect(Object.keys(before)).toEqual(["app.db"]);
    const error = await refusal(path);
    expect(error.message).toBe(
      `${path} is not a tasklane database: it has other tables (orders, users) and no tasklane_migrations table; ` +
        "point the url at a new file",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses another application's database while that application has it open", async () => {
    const path = join(dir, "live.db");
    const other = new Driver(path);
    other.pragma("journal_mode = WAL");
    other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x')");
    try {
      const names = Object.keys(snapshot(dir));
      const main = snapshot(dir)["live.db"];
      expect((await refusal(path)).message).toContain("is not a tasklane database");
      expect(Object.keys(snapshot(dir))).toEqual(names);
      expect(snapshot(dir)["live.db"]).toBe(main);
      expect(other.prepare("SELECT body FROM notes").all()).toEqual([{ body: "x" }]);
    } finally {
      other.close();
    }
  });

  it("refuses a database from a newer tasklane, naming both versions", async () => {
    const path = join(dir, "tasks.db");
    await tasklaneFile(path);
    const newer = new Driver(path);
    newer.prepare("INSERT INTO tasklane_migrations VALUES (7, 'from the future', 0)").run();
    newer.close();
    const before = snapshot(dir);
    expect(Object.keys(before)).toEqual(["tasks.db"]);
    const error = await refusal(path);
    expect(error.message).toBe(
      `${path} has schema version 7, newer than this tasklane knows (3): upgrade tasklane to use it`,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses a corrupt tasklane database and leaves it alone", async () => {
    const path = join(dir, "tasks.db");
    await tasklaneFile(path);
    const bytes = readFileSync(path);
    bytes.fill(0xa5, 100, 4096); // the schema page after the 100-byte header
    writeFileSync(path, bytes);
    const before = snapshot(dir);
    const error = await refusal(path);
    expect(error.message.startsWith(`${path} is a corrupt SQLite database`)).toBe(true);
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses a directory, and a path under a file", async () => {
    const sub = join(dir, "a-directory.db");
    mkdirSync(sub);
    expect((await refusal(sub)).message).toBe(`${sub} cannot be opened: it is not a regular file`);
    const file = join(dir, "plain");
    writeFileSync(file, "x");
    expect((await refusal(join(file, "tasks.db"))).message).toMatch(/cannot be opened: ENOTDIR/);
    expect(Object.keys(snapshot(dir))).toEqual(["a-directory.db", "plain"]);
  });

  it("does not create a missing directory", async () => {
    const path = join(dir, "missing", "tasks.db");
    expect((await refusal(path)).message).toBe(
      `${path} cannot be created: its directory ${join(dir, "missing")} does not exist`,
    );
    expect(snapshot(dir)).toEqual({});
  });
});

describe("opening a file tasklane may use", () => {
  it("creates a missing file in WAL mode with the schema recorded", async () => {
    const path = join(dir, "new.db");
    await tasklaneFile(path);
    const db = new Driver(path, { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.prepare("SELECT version, description FROM tasklane_migrations").all()).toEqual([
        { version: 1, description: "tasks table with claim, lease and prune indexes" },
        { version: 2, description: "schedule slots, and the slot a task row was enqueued for" },
        { version: 3, description: "change times for the dashboard's live feed; re-enqueue links" },
      ]);
    } finally {
      db.close();
    }
  });

  it("brings a version 1 database with rows up to date, giving each row a change time", async () => {
    const path = join(dir, "v1.db");
    const v1 = new Driver(path);
    v1.exec(MIGRATION_STEPS[0]!.sql);
    v1.prepare("INSERT INTO tasklane_migrations VALUES (1, 'v1', 0)").run();
    v1.prepare(
      `INSERT INTO tasklane_tasks (id, status, enqueued_at, last_attempted_at, finished_at, args, priority, task_path,
         queue_name, backend_name, max_attempts) VALUES ('old', 'FAILED', 1000, 2000, 3000, '[]', 0, 'm#t', 'default', 'db', 1)`,
    ).run();
    v1.close();
    const store = await openStore(`sqlite:${path}`);
    try {
      expect(await store.get("old")).toMatchObject({ changedAt: 3000, reenqueuedFrom: null, reenqueuedAs: null });
      expect((await store.changedSince(2500, 10)).map((r) => r.id)).toEqual(["old"]);
      expect(await store.reenqueue("old", "new")).toHaveProperty("row.reenqueuedFrom", "old");
    } finally {
      await store.close();
    }
  });

  it("takes an empty file, and an SQLite database without tables, as new databases", async () => {
    const empty = join(dir, "empty.db");
    writeFileSync(empty, "");
    await tasklaneFile(empty);
    const bare = join(dir, "bare.db");
    const db = new Driver(bare);
    db.pragma("user_version = 3");
    db.close();
    await tasklaneFile(bare);
    for (const path of [empty, bare]) {
      const store = await openStore(`sqlite:${path}`);
      expect(await store.counts()).toHaveLength(1);
      await store.close();
    }
  });

  it("reopens its own database, and opens it again while another store has it open", async () => {
    const path = join(dir, "tasks.db");
    await tasklaneFile(path);
    const [a, b] = [await openStore(`sqlite:${path}`), await openStore(`sqlite:${path}`)];
    await a.enqueue(newRow());
    expect((await b.counts())[0]?.count).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });

  it("sets synchronous NORMAL by default and FULL when asked, the busy timeout and the -wal size limit", () => {
    const path = join(dir, "tasks.db");
    const normal = openSqliteFile(Driver, path, { busyTimeoutMs: 1234, synchronous: "normal" });
    const full = openSqliteFile(Driver, path, { busyTimeoutMs: 5000, synchronous: "full" });
    try {
      expect(normal.pragma("synchronous", { simple: true })).toBe(1);
      expect(normal.pragma("busy_timeout", { simple: true })).toBe(1234);
      expect(normal.pragma("journal_size_limit", { simple: true })).toBe(64 * 1024 * 1024);
      expect(full.pragma("synchronous", { simple: true })).toBe(2);
    } finally {
      normal.close();
      full.close();
    }
  });
});
