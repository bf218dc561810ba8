/**
 * `withTransaction(client, fn)` as an application uses it: the checkout's order row and its task
 * commit together, with a real `tasklane worker` process claiming from the same database. That the
 * worker never sees the uncommitted task is shown by order, not by waiting: the task in the open
 * transaction has the higher priority, so a worker that could see it would claim it before the
 * lower-priority one enqueued after it outside the transaction.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { closeAll, InvalidTask, withTransaction } from "../../../src/index.ts";
import { record } from "../../fixtures/db/tasks.ts";
import { closablePool, postgresTestServer } from "../../support/postgres.ts";
import { describeWhere } from "../../support/where.ts";
import { type Database, type Run, tempDatabase, worker } from "../support.ts";

const server = postgresTestServer();

describeWhere(server.skip === undefined)("withTransaction: enqueue in the application's transaction", () => {
  let url = "";
  let db: Database;
  let run: Run;
  let pool: pg.Pool;
  let watcher: pg.Client;
  const heard: string[] = [];
  let onHeard: (() => void) | undefined;

  beforeAll(async () => {
    url = await server.freshDatabase();
    db = tempDatabase({ url });
    db.use();
    pool = closablePool({ connectionString: url, max: 2 });
    await pool.query("CREATE TABLE orders (id text PRIMARY KEY)");
    // The worker migrates the schema; it runs for the whole file, woken by NOTIFY (polls hourly).
    run = worker(db, ["--interval", "3600", "--queue-name", "*"], 120_000);
    await run.waitFor(/Worker \S+ started/);
    watcher = new pg.Client({ connectionString: url });
    await watcher.connect();
    watcher.on("notification", (n) => {
      heard.push(n.payload ?? "");
      onHeard?.();
    });
    await watcher.query('LISTEN "tasklane_ready"');
  });

  afterEach(() => {
    heard.length = 0;
  });

  afterAll(async () => {
    run?.child.kill("SIGTERM");
    await run?.exited;
    await watcher?.end();
    await pool?.end();
    await closeAll({ timeoutMs: 0 });
    db?.remove();
    if (url) await server.dropDatabase(url);
  });

  const labels = () => db.lines().map((l) => l.split(" ")[0]);

  it("commit: the order and its task appear together; before the COMMIT no worker sees the task", async () => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("INSERT INTO orders (id) VALUES ('o1')");
      const inside = await withTransaction(client, () =>
        record.using({ priority: 10 }).enqueue(db.log, "processOrder o1"),
      );
      expect(inside.status).toBe("READY");
      // Outside the transaction: invisible to this process's pool too, until the COMMIT.
      await expect(record.getResult(inside.id)).rejects.toThrow(/does not exist/);
      const after = await record.enqueue(db.log, "outside");
      await after.wait({ timeoutMs: 20_000 });
      expect(labels()).toEqual(["outside"]);
      await client.query("COMMIT");
      const committed = await record.getResult(inside.id);
      await committed.wait({ timeoutMs: 20_000 });
      expect(committed.status).toBe("SUCCESSFUL");
      expect(labels()).toEqual(["outside", "processOrder"]);
      expect((await pool.query("SELECT id FROM orders")).rows).toEqual([{ id: "o1" }]);
    } finally {
      client.release();
    }
  });

  it("rollback: no order, no task row, no run and no notification", async () => {
    const before = labels().length;
    const client = await pool.connect();
    let id: string;
    try {
      await client.query("BEGIN");
      await client.query("INSERT INTO orders (id) VALUES ('o2')");
      const inside = await withTransaction(client, () =>
        record.using({ priority: 10, queueName: "emails" }).enqueue(db.log, "processOrder o2"),
      );
      id = inside.id;
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
    await expect(record.getResult(id)).rejects.toThrow(/does not exist/);
    // A sentinel committed after the ROLLBACK: notifications come in commit order, so once its
    // own has arrived, one from the rolled-back insert would have arrived before it.
    const sentinelHeard = new Promise<void>((resolve) => {
      onHeard = () => {
        if (heard.includes("reports")) resolve();
      };
    });
    const sentinel = await record.using({ queueName: "reports" }).enqueue(db.log, "sentinel");
    await sentinelHeard;
    await sentinel.wait({ timeoutMs: 20_000 });
    expect(heard).toEqual(["reports"]);
    expect(labels().slice(before)).toEqual(["sentinel"]);
    expect((await pool.query("SELECT id FROM orders WHERE id = 'o2'")).rows).toEqual([]);
  });

  it("a backend that cannot write into the transaction refuses the enqueue instead of running it", async () => {
    const client = await pool.connect();
    try {
      const refused = withTransaction(client, async () => record.using({ backend: "inline" }).enqueue(db.log, "never"));
      await expect(refused).rejects.toBeInstanceOf(InvalidTask);
      await expect(refused).rejects.toThrow(/enqueued inside withTransaction\(\), but backend 'inline' cannot write/);
    } finally {
      client.release();
    }
    expect(labels()).not.toContain("never");
  });
});
