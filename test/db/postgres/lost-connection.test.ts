import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PgStoreEvent } from "../../../src/db/postgres/connection.ts";
import { openPgStore } from "../../../src/db/postgres/open.ts";
import type { PgStore } from "../../../src/db/postgres/store.ts";
import { type PgProxy, startProxy } from "../../support/pg-proxy.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { describeWhere } from "../../support/where.ts";
import { claimAll, newRow } from "./fixtures.ts";

/*
 * A connection lost AFTER the server committed: the store cannot know whether its statement took
 * effect, and its retry must neither lose what the first try did nor do it twice.
 */

const server = postgresTestServer();

describeWhere(server.skip === undefined)("a connection lost after COMMIT", () => {
  let proxy: PgProxy;
  let store: PgStore;
  let direct: PgStore;
  let sql: pg.Client;
  const events: PgStoreEvent[] = [];

  beforeAll(async () => {
    const url = await server.freshDatabase();
    const database = /^postgres:\/\/\/([^?]+)/.exec(url)![1]!;
    proxy = await startProxy(server.socketDir);
    store = await openPgStore(proxy.url(database), { onEvent: (e) => events.push(e) });
    direct = await openPgStore(url);
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
    await store.migrate();
  });

  afterAll(async () => {
    await Promise.all([store?.close(), direct?.close(), sql?.end()]);
    await proxy?.close();
  });

  it("claim: the retry hands out the rows the lost answer claimed, and claims nothing else", async () => {
    const rows = [newRow({ queueName: "c" }), newRow({ queueName: "c" }), newRow({ queueName: "c" })];
    for (const row of rows) await direct.enqueue(row);
    const request = { ...claimAll("w-claim", 2), queues: ["c"] };
    const cut = proxy.cutAfter("tasklane_claim_");
    const claims = await store.claim(request);
    await cut;
    expect(claims.map((c) => c.row.id)).toEqual([rows[0]!.id, rows[1]!.id]);
    const after = await Promise.all(rows.map((r) => direct.get(r.id)));
    expect(after.map((r) => r?.status)).toEqual(["RUNNING", "RUNNING", "READY"]);
    expect(after.map((r) => r?.workerIds)).toEqual([["w-claim"], ["w-claim"], []]);
    // The claims work: they settle under the tokens handed out.
    const recorded = await store.settle(
      claims.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: 1 })),
    );
    expect(recorded).toEqual([true, true]);
    expect(events.map((e) => e.kind)).toContain("connection-lost");
    expect(events.map((e) => e.kind)).toContain("reconnected");
  });

  it("settle: the retry reports the settlements the lost answer recorded as recorded", async () => {
    const row = newRow({ queueName: "s" });
    await direct.enqueue(row);
    const [claim] = await store.claim({ ...claimAll("w-settle", 1), queues: ["s"] });
    const cut = proxy.cutAfter("tasklane_settle_");
    const recorded = await store.settle([{ id: row.id, token: claim!.token, kind: "succeeded", value: "once" }]);
    await cut;
    expect(recorded).toEqual([true]);
    expect(await direct.get(row.id)).toMatchObject({
      status: "SUCCESSFUL",
      returnValue: "once",
      workerIds: ["w-settle"],
    });
  });

  it("reapExpired: the retry hands out the rows the lost answer took over", async () => {
    const row = newRow({ queueName: "r" });
    await direct.enqueue(row);
    await direct.claim({ ...claimAll("w-dies", 1), queues: ["r"] });
    // The lease ran out (on the server's clock), without waiting for it.
    await sql.query("UPDATE tasklane.tasklane_tasks SET lease_expires_at = now() - interval '1 minute' WHERE id = $1", [
      row.id,
    ]);
    const cut = proxy.cutAfter("tasklane_reap_");
    const reaped = await store.reapExpired("reaper", 60_000, 5);
    await cut;
    expect(reaped.map((e) => [e.claim.row.id, e.lostWorker])).toEqual([[row.id, "w-dies"]]);
    expect(await direct.get(row.id)).toMatchObject({ status: "RUNNING", lockedBy: "reaper" });
  });

  it("enqueue: the retry returns the row the lost answer inserted, once", async () => {
    const row = newRow({ queueName: "e" });
    const cut = proxy.cutAfter("tasklane_enqueue_");
    const stored = await store.enqueue(row);
    await cut;
    expect(stored.id).toBe(row.id);
    expect(await direct.counts()).toContainEqual({ queueName: "e", status: "READY", count: 1 });
  });

  it("enqueue of a burst: the retry returns every row the lost answer inserted, each once", async () => {
    const rows = Array.from({ length: 5 }, (_, i) => newRow({ queueName: "burst", args: [i] }));
    const cut = proxy.cutAfter("tasklane_enqueue_many_");
    const stored = await Promise.all(rows.map((row) => store.enqueue(row)));
    await cut;
    expect(stored.map((r) => [r.id, r.args])).toEqual(rows.map((r) => [r.id, r.args]));
    expect(await direct.counts()).toContainEqual({ queueName: "burst", status: "READY", count: 5 });
  });

  it("LISTEN: a dropped LISTEN connection reconnects, says so, and wakes its listeners again", async () => {
    let wake: (() => void) | undefined;
    const unsubscribe = store.onReady(() => wake?.());
    await store.whenListening();
    const resumed = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const before = events.length;
    proxy.dropAll();
    // After a reconnect the store wakes its listeners once (notifications may have been missed)…
    await resumed;
    expect(events.slice(before).map((e) => e.kind)).toEqual(expect.arrayContaining(["listen-lost", "listen-resumed"]));
    // …and another store's enqueue reaches it through the new connection.
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    await direct.enqueue(newRow({ queueName: "after-drop" }));
    await woken;
    unsubscribe();
  });
});
