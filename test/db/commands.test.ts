/**
 * `tasklane worker`, `prune` and `migrate` as a user types them: options checked with
 * django-tasks-db's rules and messages (each prefixed with its option), exit codes, and databases
 * that are not tasklane's left exactly as they were.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/db/open-store.ts";
import { closeAll } from "../../src/index.ts";
import { add, record } from "../fixtures/db/tasks.ts";
import { newRow } from "./support/rows.ts";
import { cli, type Database, tempDatabase, worker } from "./support.ts";

let db: Database;
afterEach(async () => {
  await closeAll({ timeoutMs: 0 });
  db?.remove();
});

const hash = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("tasklane worker options", () => {
  it.each([
    [["--interval", "abc"], /--interval: Must be a finite floating point value/],
    [["--interval", "-1"], /--interval: Must be greater than zero/],
    [["--max-tasks", "-1"], /--max-tasks: Must be a whole number >= 0/],
    [["--concurrency", "0"], /--concurrency: Must be a whole number >= 1/],
    [["--worker-id", ""], /--worker-id: Worker id must not be empty/],
    [["--worker-id", "x".repeat(65)], /--worker-id: Worker ids must be at most 64 characters/],
    [["--exclude-queues", "emails"], /--exclude-queues can only be used with --queue-name=\*/],
    [["--backend", "inline"], /--backend: Backend 'inline' is not a database backend/],
    [["--backend", "nope"], /--backend: The connection 'nope' doesn't exist\./],
  ])("%j is refused with exit 2", async (args, message) => {
    db = tempDatabase();
    const run = worker(db, ["--batch", ...args]);
    const exit = await run.exited;
    expect(run.stderr()).toMatch(message);
    expect(exit.code).toBe(2);
  });

  it("--queue-name '*' --exclude-queues runs every queue but the excluded ones", async () => {
    db = tempDatabase();
    db.use();
    await record.using({ queueName: "emails" }).enqueue(db.log, "emails");
    await record.using({ queueName: "reports" }).enqueue(db.log, "reports");
    await record.enqueue(db.log, "default");
    const run = worker(db, ["--batch", "--queue-name", "*", "--exclude-queues", "reports"]);
    expect((await run.exited).code).toBe(0);
    expect(
      db
        .lines()
        .map((l) => l.split(" ")[0])
        .sort(),
    ).toEqual(["default", "emails"]);
    const only = worker(db, ["--batch", "--queue-name", "reports"]);
    expect((await only.exited).code).toBe(0);
    expect(db.lines().map((l) => l.split(" ")[0])).toContain("reports");
  });
});

describe("tasklane prune", () => {
  it("deletes finished results older than the age, counts with --dry-run, never READY ones", async () => {
    db = tempDatabase();
    db.use();
    const done = await add.enqueue(1, 2);
    await add.using({ runAfter: new Date(Date.now() + 3_600_000) }).enqueue(3, 4);
    expect((await worker(db, ["--batch"]).exited).code).toBe(0);
    await done.refresh();
    expect(done.status).toBe("SUCCESSFUL");

    const old = cli(["prune", "--config", db.config], db.dir);
    expect((await old.exited).code).toBe(0);
    expect(old.stdout()).toBe("Deleted 0 task result(s)\n");

    const dry = cli(["prune", "--config", db.config, "--min-age-days", "0", "--dry-run"], db.dir);
    expect((await dry.exited).code).toBe(0);
    expect(dry.stdout()).toBe("Would delete 1 task result(s)\n");

    const all = cli(["prune", "--config", db.config, "--min-age-days", "0", "--queue-name", "*"], db.dir);
    expect((await all.exited).code).toBe(0);
    expect(all.stdout()).toBe("Deleted 1 task result(s)\n");
    await expect(add.getResult(done.id)).rejects.toThrow(/does not exist/);
  });

  it("ages out schedule slot records whatever the queue, each schedule keeping its latest, and says so", async () => {
    db = tempDatabase();
    const store = await openStore(db.url);
    try {
      for (const at of [0, 60_000, 120_000]) await store.enqueueSlot({ scheduleName: "s", slotAt: at }, newRow());
    } finally {
      await store.close();
    }
    const dry = cli(["prune", "--config", db.config, "--min-age-days", "0", "--dry-run"], db.dir);
    expect((await dry.exited).code).toBe(0);
    expect(dry.stdout()).toBe("Would delete 0 task result(s)\nWould delete 2 old schedule slot record(s)\n");
    const run = cli(["prune", "--config", db.config, "--min-age-days", "0"], db.dir);
    expect((await run.exited).code).toBe(0);
    expect(run.stdout()).toBe("Deleted 0 task result(s)\nDeleted 2 old schedule slot record(s)\n");
    const again = cli(["prune", "--config", db.config, "--min-age-days", "0"], db.dir);
    expect((await again.exited).code).toBe(0);
    expect(again.stdout()).toBe("Deleted 0 task result(s)\n");
  });

  it("refuses a negative age", async () => {
    db = tempDatabase();
    const run = cli(["prune", "--config", db.config, "--min-age-days", "-1"], db.dir);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr()).toMatch(/--min-age-days: Must be a number of days >= 0/);
  });
});

describe("a database that is not tasklane's", () => {
  it.each([
    ["a text file", "hello, I am not a database\n"],
    ["random bytes", "\u0000\u0001SQLite format 3 but not really".repeat(100)],
  ])("%s: migrate exits non-zero naming the path, and the file is left as it was", async (_what, content) => {
    db = tempDatabase();
    writeFileSync(db.file, content);
    const before = hash(db.file);
    const run = cli(["migrate", "--config", db.config], db.dir);
    const exit = await run.exited;
    expect(exit.code).not.toBe(0);
    expect(run.stderr()).toContain(db.file);
    expect(hash(db.file)).toBe(before);
    expect(readdirSync(db.dir).sort()).toEqual(["tasklane.config.json", "tasks.db"]);
  });

  it("migrate creates and reports a fresh database, twice in a row", async () => {
    db = tempDatabase();
    for (let i = 0; i < 2; i++) {
      const run = cli(["migrate", "--config", db.config], db.dir);
      expect((await run.exited).code).toBe(0);
      expect(run.stdout()).toMatch(/is up to date/);
    }
    expect(readdirSync(db.dir)).toContain("tasks.db");
    expect(join(db.dir, "tasks.db")).toBe(db.file);
  });
});
