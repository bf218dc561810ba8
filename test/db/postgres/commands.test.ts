/**
 * The database backend and `tasklane worker` / `prune` / `migrate` with a postgres:// URL (a unix
 * socket through `?host=`), as a user runs them: only the URL differs from SQLite.
 */
import pg from "pg";
import { afterEach, expect, it } from "vitest";
import { closeAll } from "../../../src/index.ts";
import { add } from "../../fixtures/db/tasks.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { describeWhere } from "../../support/where.ts";
import { cli, type Database, tempDatabase, worker } from "../support.ts";

const server = postgresTestServer();
let db: Database | undefined;
let url: string | undefined;

afterEach(async () => {
  await closeAll({ timeoutMs: 0 });
  db?.remove();
  db = undefined;
  if (url !== undefined) await server.dropDatabase(url);
  url = undefined;
});

async function freshDb(): Promise<Database> {
  url = await server.freshDatabase();
  db = tempDatabase({ url });
  return db;
}

describeWhere(server.skip === undefined)("tasklane on PostgreSQL", () => {
  it("an idle worker is woken by the enqueue's NOTIFY; the app's wait() sees the task finish", async () => {
    const d = await freshDb();
    d.use();
    // A poll every 10 minutes: a task that runs within the test's time was woken by NOTIFY.
    const run = worker(d, ["--interval", "600"]);
    await run.waitFor(/Worker \S+ started/);
    await (await add.enqueue(0, 0)).wait({ timeoutMs: 20_000 }); // the LISTEN is in effect once one ran
    const result = await add.enqueue(2, 3);
    await result.wait({ timeoutMs: 20_000 });
    expect(result.status).toBe("SUCCESSFUL");
    expect(result.returnValue).toBe(5);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
  });

  it("migrate creates the schema and says it is up to date; two at once both succeed", async () => {
    const d = await freshDb();
    const both = [cli(["migrate", "--config", d.config], d.dir), cli(["migrate", "--config", d.config], d.dir)];
    for (const run of both) {
      expect((await run.exited).code, run.stderr()).toBe(0);
      expect(run.stdout()).toMatch(/is up to date/);
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const found = await client.query("SELECT to_regclass('tasklane.tasklane_tasks') IS NOT NULL AS made");
      expect(found.rows[0]).toEqual({ made: true });
    } finally {
      await client.end();
    }
  });

  it("prune deletes finished rows, counts with --dry-run, never READY ones", async () => {
    const d = await freshDb();
    d.use();
    const done = await add.enqueue(1, 2);
    await add.using({ runAfter: new Date(Date.now() + 3_600_000) }).enqueue(3, 4);
    expect((await worker(d, ["--batch"]).exited).code).toBe(0);
    await done.refresh();
    expect(done.status).toBe("SUCCESSFUL");
    const dry = cli(["prune", "--config", d.config, "--min-age-days", "0", "--dry-run"], d.dir);
    expect((await dry.exited).code).toBe(0);
    expect(dry.stdout()).toBe("Would delete 1 task result(s)\n");
    const all = cli(["prune", "--config", d.config, "--min-age-days", "0", "--queue-name", "*"], d.dir);
    expect((await all.exited).code).toBe(0);
    expect(all.stdout()).toBe("Deleted 1 task result(s)\n");
    await expect(add.getResult(done.id)).rejects.toThrow(/does not exist/);
  });

  it("a worker pointed at a server that is not there exits 1 naming where it looked", async () => {
    db = tempDatabase({ url: "postgres:///tasks?host=/nonexistent/socket-dir&user=app" });
    const run = worker(db, ["--batch"]);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(/Backend 'default': .*\/nonexistent\/socket-dir/);
  });
});
