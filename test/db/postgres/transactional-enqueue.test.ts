import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPgStore } from "../../../src/db/postgres/open.ts";
import type { PgStore } from "../../../src/db/postgres/store.ts";
import { listenTo, type NotificationLog } from "../../support/pg-notifications.ts";
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
  let log: NotificationLog;

  beforeAll(async () => {
    url = await server.freshDatabase();
    store = await openPgStore(url);
    await store.migrate();
    app = new pg.Client({ connectionString: url });
    await app.connect();
    log = await listenTo(url, ["tasklane_ready"]);
  });

  afterAll(async () => {
    await Promise.all([app?.end(), log?.close(), store?.close()]);
  });

  it("commit: the row appears, is claimable, and its notification comes after the commit", async () => {
    log.heard.length = 0;
    await app.query("BEGIN");
    await app.query("CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, item text NOT NULL)");
    await app.query("INSERT INTO orders (item) VALUES ('book')");
    const row = await store.enqueue(newRow({ queueName: "orders" }), app);
    expect(row.status).toBe("READY");

    // Uncommitted: other sessions see neither the row nor a notification.
    expect(await store.get(row.id)).toBeNull();
    expect(await store.claim(claimAll("w-early"))).toEqual([]);
    await log.sentinel("before-commit");
    expect(log.heard).toEqual(["tasklane_test_sentinel:before-commit"]);

    await app.query("COMMIT");
    await log.until("tasklane_ready:orders");
    expect(log.heard).toEqual(["tasklane_test_sentinel:before-commit", "tasklane_ready:orders"]);
    const claimed = await store.claim(claimAll("w-late"));
    expect(claimed.map((c) => c.row.id)).toEqual([row.id]);
  });

  it("rollback: no row, nothing to claim, and no notification ever", async () => {
    log.heard.length = 0;
    await app.query("BEGIN");
    const row = await store.enqueue(newRow({ queueName: "orders" }), app);
    await app.query("ROLLBACK");
    // The sentinel is committed after the rollback: had the rolled-back enqueue notified, that
    // notification would have arrived first.
    await log.sentinel("after-rollback");
    expect(log.heard).toEqual(["tasklane_test_sentinel:after-rollback"]);
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
