import { afterAll, beforeAll, expect, it } from "vitest";
import { openPgStore } from "../../../src/db/postgres/open.ts";
import type { PgStore } from "../../../src/db/postgres/store.ts";
import { listenTo, type NotificationLog } from "../../support/pg-notifications.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { describeWhere } from "../../support/where.ts";
import { claimAll, newRow } from "./fixtures.ts";

/*
 * Enqueues through the store's own pool that arrive together go to the server together (one
 * INSERT, one commit, one NOTIFY per queue). Each must still come back as its own row, in the
 * order the calls were made, and a row the server refuses must fail alone.
 */

const server = postgresTestServer();

describeWhere(server.skip === undefined)("enqueues made together", () => {
  let store: PgStore;
  let log: NotificationLog;

  beforeAll(async () => {
    const url = await server.freshDatabase();
    store = await openPgStore(url);
    await store.migrate();
    log = await listenTo(url, ["tasklane_ready"]);
  });
  afterAll(async () => {
    await Promise.all([store?.close(), log?.close()]);
  });

  /** The ready notifications committed since the last call. */
  async function readyHeard(label: string): Promise<string[]> {
    await log.sentinel(label);
    return log.heard.splice(0).filter((entry) => entry.startsWith("tasklane_ready:"));
  }

  it("a burst is stored in call order and wakes listeners once per queue, not once per task", async () => {
    await readyHeard("before-burst");
    const rows = Array.from({ length: 40 }, (_, i) => newRow({ queueName: i % 2 === 0 ? "even" : "odd", args: [i] }));
    const stored = await Promise.all(rows.map((row) => store.enqueue(row)));
    expect(stored.map((r) => [r.id, r.status, r.args])).toEqual(rows.map((r) => [r.id, "READY", r.args]));
    expect((await readyHeard("after-burst")).sort()).toEqual(["tasklane_ready:even", "tasklane_ready:odd"]);
    const claimed = await store.claim(claimAll("w", 100));
    expect(claimed.map((c) => c.row.id)).toEqual(rows.map((r) => r.id));
  });

  it("a row PostgreSQL cannot store fails alone, with its own error; the rest of the burst is stored", async () => {
    const rows = Array.from({ length: 6 }, (_, i) => newRow({ queueName: "mixed", args: [i === 3 ? "a\u0000b" : i] }));
    const settled = await Promise.allSettled(rows.map((row) => store.enqueue(row)));
    expect(settled.map((s) => s.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    const refused = String((settled[3] as PromiseRejectedResult).reason);
    expect(refused).toMatch(/enqueue/);
    expect(refused).toMatch(/\\u0000 cannot be converted to text/);
    expect(await store.counts()).toContainEqual({ queueName: "mixed", status: "READY", count: 5 });
  });

  it("a future run_after in a burst is stored and wakes nobody", async () => {
    await readyHeard("before-later");
    const later = Date.now() + 3_600_000;
    const rows = Array.from({ length: 5 }, () => newRow({ queueName: "later", runAfter: later }));
    const stored = await Promise.all(rows.map((row) => store.enqueue(row)));
    expect(stored.map((r) => r.runAfter)).toEqual(rows.map(() => later));
    expect(await readyHeard("after-later")).toEqual([]);
  });
});
