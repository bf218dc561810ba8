import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPgStore } from "../../../src/db/postgres/open.ts";
import type { PgStore } from "../../../src/db/postgres/store.ts";
import { spawnTs } from "../../support/children.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { describeWhere } from "../../support/where.ts";
import { claimAll, newRow } from "./fixtures.ts";

/*
 * Wake-ups across processes and stores: LISTEN/NOTIFY, not this process's own calls. These assert
 * that the wake-up happens (the test would hang at its deadline otherwise), never how fast.
 */

const server = postgresTestServer();
const enqueueOne = fileURLToPath(new URL("../../fixtures/postgres/enqueue-one.ts", import.meta.url));

function nextWake(store: PgStore): { woken: Promise<void>; stop: () => void } {
  let stop = () => {};
  const woken = new Promise<void>((resolve) => {
    stop = store.onReady(resolve);
  });
  return { woken, stop };
}

describeWhere(server.skip === undefined)("onReady and waitFinished through LISTEN/NOTIFY", () => {
  let url = "";
  let a: PgStore;
  let b: PgStore;

  beforeAll(async () => {
    url = await server.freshDatabase();
    a = await openPgStore(url);
    b = await openPgStore(url);
    await a.migrate();
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("an enqueue in another process wakes a subscribed store, which then claims it", async () => {
    const { woken, stop } = nextWake(a);
    await a.whenListening();
    const child = spawnTs(enqueueOne, [url, "from-child"]);
    await woken;
    stop();
    const id = await child.waitFor((line) => /^[0-9a-f-]{36}$/.test(line));
    expect(await child.exited()).toBe(0);
    expect((await a.claim({ ...claimAll("w"), queues: ["from-child"] })).map((c) => c.row.id)).toEqual([id]);
  });

  it("a retry settled by another store wakes a subscribed one", async () => {
    await b.enqueue(newRow({ queueName: "retry", maxAttempts: 2 }));
    const [claim] = await b.claim({ ...claimAll("w"), queues: ["retry"] });
    const { woken, stop } = nextWake(a);
    await a.whenListening();
    const error = { exceptionClassPath: "Error", message: "again", traceback: "Error: again" };
    await b.settle([{ id: claim!.row.id, token: claim!.token, kind: "retry", error, delayMs: 0 }]);
    await woken;
    stop();
    expect((await a.claim({ ...claimAll("w2"), queues: ["retry"] })).map((c) => c.row.workerIds)).toEqual([
      ["w", "w2"],
    ]);
  });

  it("waitFinished in one store is woken by a settle in another", async () => {
    const row = await b.enqueue(newRow({ queueName: "finish" }));
    const [claim] = await b.claim({ ...claimAll("w"), queues: ["finish"] });
    const waiting = a.waitFinished(row.id);
    await b.settle([{ id: row.id, token: claim!.token, kind: "succeeded", value: { ok: true } }]);
    expect(await waiting).toMatchObject({ status: "SUCCESSFUL", returnValue: { ok: true } });
  });

  it("a settle notifies the finished channel with the ids it finished, on commit", async () => {
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    const heard: string[] = [];
    let onHeard: (() => void) | undefined;
    raw.on("notification", (n) => {
      heard.push(`${n.channel}:${n.payload}`);
      onHeard?.();
    });
    await raw.query('LISTEN "tasklane_finished"');
    const rows = [newRow({ queueName: "notify" }), newRow({ queueName: "notify" })];
    for (const row of rows) await b.enqueue(row);
    const claims = await b.claim({ ...claimAll("w"), queues: ["notify"] });
    const both = new Promise<void>((resolve) => {
      onHeard = () => {
        if (heard.length > 0) resolve();
      };
    });
    await b.settle(claims.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: 1 })));
    await both;
    await raw.end();
    expect(heard.map((h) => h.split(":")[0])).toEqual(["tasklane_finished"]);
    expect(new Set(heard[0]!.split(":")[1]!.split(","))).toEqual(new Set(rows.map((r) => r.id)));
  });

  it("awaiting whenListening keeps a script alive; an idle subscribed store does not", async () => {
    const script = fileURLToPath(new URL("../../fixtures/postgres/subscribe-and-exit.ts", import.meta.url));
    const child = spawnTs(script, [url]);
    expect(await child.exited()).toBe(0);
    expect(child.lines).toEqual(["listening", "enqueued"]);
  });
});
