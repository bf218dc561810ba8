/** The `url` option's forms, choosing the dialect, and the messages when better-sqlite3 is missing or unbuilt. */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../../src/db/open-store.ts";
import { loadSqliteDriver } from "../../../src/db/sqlite/driver.ts";
import { parseDatabaseUrl } from "../../../src/db/url.ts";

const FORMS = "use sqlite:./relative/path.db, sqlite:/absolute/path.db or sqlite:file.db";

describe("url", () => {
  it.each([
    ["sqlite:./data/tasks.db", "/srv/app/data/tasks.db"],
    ["sqlite:tasks.db", "/srv/app/tasks.db"],
    ["sqlite:../shared/tasks.db", "/srv/shared/tasks.db"],
    ["sqlite:/var/lib/app/tasks.db", "/var/lib/app/tasks.db"],
    ["sqlite:/var/lib/app/../app/tasks.db", "/var/lib/app/tasks.db"],
  ])("reads %s as %s (relative paths from the working directory)", (url, path) => {
    expect(parseDatabaseUrl(url, "/srv/app")).toEqual({ dialect: "sqlite", path });
  });

  it("resolves a relative path against process.cwd() by default", () => {
    expect(parseDatabaseUrl("sqlite:x.db")).toEqual({ dialect: "sqlite", path: join(process.cwd(), "x.db") });
  });

  it.each(["postgres://u:p@host/db", "postgresql://host/db", "POSTGRES://host/db"])("takes %s as PostgreSQL", (url) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect: "postgres", url });
  });

  it.each([
    ["sqlite:", "the file path after sqlite: is missing"],
    ["sqlite://tasks.db", "sqlite: takes a file path, not //host (write sqlite:/absolute/path.db)"],
    ["sqlite:///abs/tasks.db", "sqlite: takes a file path, not //host (write sqlite:/absolute/path.db)"],
    [
      "sqlite::memory:",
      "in-memory and URI databases are not supported (workers in other processes could not see them)",
    ],
    ["sqlite:~/tasks.db", "~ is not expanded; write the absolute path"],
    ["sqlite:tasks.db?mode=ro", "query strings and fragments are not supported"],
    ["sqlite:./data/", "the path names a directory, not a file"],
  ])("refuses %s, naming the option", (url, why) => {
    expect(() => parseDatabaseUrl(url)).toThrow(`url: ${JSON.stringify(url)}: ${why}; ${FORMS}`);
  });

  it.each(["mysql://host/db", "./tasks.db", "file:tasks.db", "SQLITE:tasks.db"])("refuses %s as unknown", (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow(
      `url: ${JSON.stringify(url)} is not a database URL tasklane knows; ${FORMS} (or postgres://…)`,
    );
  });

  it.each([undefined, "", "  ", 42])("refuses %j as not a string", (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow(`url: must be a non-empty string such as ${FORMS.slice(4)}`);
  });
});

describe("openStore", () => {
  it("says PostgreSQL is not yet supported", async () => {
    await expect(openStore("postgres://localhost/tasks")).rejects.toThrow(
      "url: PostgreSQL (postgres://, postgresql://) is not yet supported; use sqlite:",
    );
  });

  it("checks its options", async () => {
    await expect(openStore("sqlite:x.db", { busyTimeoutMs: -1 })).rejects.toThrow(
      "busyTimeoutMs: must be a whole number of milliseconds >= 0 (got -1)",
    );
    await expect(openStore("sqlite:x.db", { synchronous: "off" as "full" })).rejects.toThrow(
      'synchronous: must be "normal" or "full" (got "off")',
    );
  });

  it("touches no file until the store is used", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tasklane-lazy-"));
    try {
      const store = await openStore(`sqlite:${join(dir, "tasks.db")}`);
      expect(store.location).toBe(join(dir, "tasks.db"));
      await store.close();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("loading better-sqlite3", () => {
  const root = mkdtempSync(join(tmpdir(), "tasklane-unbuilt-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const approve = "npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3";

  it("says what to install when it is missing", () => {
    expect(() => loadSqliteDriver("better-sqlite3-not-installed-here")).toThrow(
      "The sqlite: database backend needs the optional package better-sqlite3, which is not installed: " +
        `npm install better-sqlite3@^12. On npm >= 11.19 also allow its build step: ${approve}.`,
    );
  });

  it("says the build was skipped when the native addon is missing", () => {
    // A real copy of the installed package without its build/ directory: what npm leaves when it
    // skips an unapproved install script.
    const modules = fileURLToPath(new URL("../../../node_modules/", import.meta.url));
    for (const name of ["bindings", "file-uri-to-path"])
      cpSync(join(modules, name), join(root, "node_modules", name), { recursive: true });
    const copy = join(root, "node_modules", "better-sqlite3");
    mkdirSync(copy, { recursive: true });
    for (const part of ["package.json", "lib"])
      cpSync(join(modules, "better-sqlite3", part), join(copy, part), { recursive: true });
    expect(() => loadSqliteDriver(copy)).toThrow(
      `better-sqlite3 is installed but its native addon was not built (npm skipped its install script). On npm >= 11.19 also allow its build step: ${approve}.`,
    );
  });

  it("loads the installed one, with a recent enough SQLite", () => {
    const Driver = loadSqliteDriver();
    const db = new Driver(":memory:");
    expect(db.prepare("SELECT unixepoch('subsec') > 0 AS ok").get()).toEqual({ ok: 1 });
    db.close();
  });
});
