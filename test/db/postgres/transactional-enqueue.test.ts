import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPgStore } from "../../../src/db/postgres/open.ts";
import type { PgStore } from "../../../src/db/postgres/store.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { describeWhere } from "../../support/where.ts";
import { claimAll, newRow } from "./fixtures.ts";

/*
 * Enqueue inside the application's own transaction: the row and its notification exist only once
 * the application commits. The notification order is checked with a sentinel: a NOTIFY committed
 * by another session AFTER the insert but BEFORE the application's COMMIT. PostgreSQL delivers
 * notifications in commit order, so a ready notification that arrives after the sentinel was not
 * sent at insert time; one that never arrives (rollback) was never sent.
 */

const server = postgresTestServer();

describeWhere(server.skip === undefined)("enqueue through the application's transaction (SqlExecutor)", () => {
  let url = "";
  let store: PgStore;
  let app: pg.Client;
  let watcher: pg.Client;
  let notifier: pg.Client;
  const heard: string[] = [];
  let onHeard: (() => void) | undefined;

  beforeAll(async () => {
    url = await server.freshDatabase();
    store = await openPgStore(url);
    await store.migrate();
    app = new pg.Client({ connectionString: url });
    watcher = new pg.Client({ connectionString: url });
    notifier = new pg.Client({ connectionString: url });
    await Promise.all([app.connect(), watcher.connect(), notifier.connect()]);
    watcher.on("notification", (n) => {
      heard.push(`${n.channel}:${n.payload}`);
      onHeard?.();
    });
    await watcher.query('LISTEN "tasklane_ready"');
    await watcher.query("LISTEN sentinel");
  });

  afterAll(async () => {
    await Promise.all([app?.end(), watcher?.end(), notifier?.end(), store?.close()]);
  });

  /** Sends NOTIFY sentinel from a third session and resolves once the watcher heard it. */
  async function sentinel(label: string): Promise<void> {
    const heardIt = new Promise<void>((resolve) => {
      onHeard = () => {
        if (heard.includes(`sentinel:${label}`)) resolve();
      };
    });
    await notifier.query("SELECT pg_notify('sentinel', $1)", [label]);
    await heardIt;
  }

  it("commit: the row appears, is claimable, and its notification comes after the commit", async () => {
    heard.length = 0;
    await app.query("BEGIN");
    await app.query("CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, item text NOT NULL)");
    await app.query("INSERT INTO orders (item) VALUES ('book')");
    const row = await store.enqueue(newRow({ queueName: "orders" }), app);
    expect(row.status).toBe("READY");

    // Uncommitted: other sessions see neither the row nor a notification.
    expect(await store.get(row.id)).toBeNull();
    expect(await store.claim(claimAll("w-early"))).toEqual([]);
    await sentinel("before-commit");
    expect(heard).toEqual(["sentinel:before-commit"]);

    const readyHeard = new Promise<void>((resolve) => {
      onHeard = () => {
        if (heard.includes("tasklane_ready:orders")) resolve();
      };
    });
    await app.query("COMMIT");
    await readyHeard;
    expect(heard).toEqual(["sentinel:before-commit", "tasklane_ready:orders"]);
    const claimed = await store.claim(claimAll("w-late"));
    expect(claimed.map((c) => c.row.id)).toEqual([row.id]);
  });

  it("rollback: no row, nothing to claim, and no notification ever", async () => {
    heard.length = 0;
    await app.query("BEGIN");
    const row = await store.enqueue(newRow({ queueName: "orders" }), app);
    await app.query("ROLLBACK");
    // The sentinel is committed after the rollback: had the rolled-back enqueue notified, that
    // notification would have arrived first.
    await sentinel("after-rollback");
    expect(heard).toEqual(["sentinel:after-rollback"]);
    expect(await store.get(row.id)).toBeNull();
    expect(await store.claim(claimAll("w"))).toEqual([]);
  });

  it("a store subscribed with onReady wakes when the transaction commits", async () => {
    const other = await openPgStore(url);
    let wake: (() => void) | undefined;
    const unsubscribe = other.onReady(() => {
      wake?.();
    });
    await other.whenListening();
    await app.query("BEGIN");
    const row = await store.enqueue(newRow(), app);
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    await app.query("COMMIT");
    await woken;
    expect((await other.claim(claimAll("w"))).map((c) => c.row.id)).toEqual([row.id]);
    unsubscribe();
    await other.close();
  });

  it("an executor failure rolls back with the application's transaction and names the executor", async () => {
    await app.query("BEGIN");
    const error = await store.enqueue(newRow({ priority: 500 }), app).catch((e: unknown) => e);
    await app.query("ROLLBACK");
    expect((error as Error).message).toMatch(/enqueue \(through the given SqlExecutor\): .*check constraint/);
  });
});
