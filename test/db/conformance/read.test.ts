/** Reading rows: get, list with its filters and pages, counts; and the row an enqueue stores. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimOne, claimRequest, enqueueAll, newRow, taskError } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

describe.each(stores)("$dialect store: reading", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  it("stores what enqueue was given, READY, with the enqueue time from the database", async () => {
    const store = await h.fresh();
    const before = Date.now();
    const fields = newRow({
      taskPath: "file:///app/mail.js#sendWelcome",
      queueName: "emails",
      backendName: "db",
      priority: -100,
      args: [1, "two", { three: [3, null, true] }],
      runAfter: before + 5000,
      maxAttempts: 4,
      backoffMs: 250,
      timeoutMs: 10_000,
    });
    const row = await store.enqueue(fields);
    expect(row).toEqual({
      id: fields.id,
      status: "READY",
      taskPath: fields.taskPath,
      queueName: "emails",
      backendName: "db",
      priority: -100,
      args: fields.args,
      enqueuedAt: row.enqueuedAt,
      startedAt: null,
      lastAttemptedAt: null,
      finishedAt: null,
      runAfter: before + 5000,
      returnValue: null,
      errors: [],
      workerIds: [],
      maxAttempts: 4,
      backoffMs: 250,
      timeoutMs: 10_000,
      progress: null,
      lockedBy: null,
      leaseExpiresAt: null,
      cancelRequested: null,
      scheduledAt: null,
      changedAt: row.enqueuedAt,
      reenqueuedFrom: null,
      reenqueuedAs: null,
    });
    expect(Math.abs(row.enqueuedAt - before)).toBeLessThan(60_000);
    expect(await store.get(fields.id)).toEqual(row);
  });

  it("refuses a priority outside -100..100 and a duplicate id", async () => {
    const store = await h.fresh();
    await expect(store.enqueue(newRow({ priority: 101 }))).rejects.toMatchObject({ code: "TASKLANE_DATABASE" });
    const row = newRow();
    await store.enqueue(row);
    await expect(store.enqueue(row)).rejects.toMatchObject({ code: "TASKLANE_DATABASE" });
    expect(await store.counts()).toEqual([{ queueName: "default", status: "READY", count: 1 }]);
  });

  it("answers null for an unknown or malformed id", async () => {
    const store = await h.fresh();
    expect(await store.get("00000000-0000-0000-0000-000000000000")).toBeNull();
    expect(await store.get("'; DROP TABLE tasklane_tasks; --")).toBeNull();
    expect(await store.get("")).toBeNull();
  });

  it("counts rows per queue and status", async () => {
    const store = await h.fresh();
    await enqueueAll(store, [
      newRow({ queueName: "a" }),
      newRow({ queueName: "a" }),
      newRow({ queueName: "b" }),
      newRow({ queueName: "b" }),
    ]);
    const claim = await claimOne(store, { queues: ["b"] });
    await store.settle([{ id: claim.row.id, token: claim.token, kind: "failed", error: taskError("x") }]);
    await claimOne(store, { queues: ["a"] });
    const counts = await store.counts();
    expect([...counts].sort((x, y) => `${x.queueName}${x.status}`.localeCompare(`${y.queueName}${y.status}`))).toEqual([
      { queueName: "a", status: "READY", count: 1 },
      { queueName: "a", status: "RUNNING", count: 1 },
      { queueName: "b", status: "FAILED", count: 1 },
      { queueName: "b", status: "READY", count: 1 },
    ]);
  });

  it("lists newest first, page by page, to the end", async () => {
    const store = await h.fresh();
    const rows = Array.from({ length: 7 }, () => newRow());
    await enqueueAll(store, rows);
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await store.list(after === undefined ? { limit: 3 } : { limit: 3, after });
      seen.push(...page.rows.map((r) => r.id));
      after = page.next ?? undefined;
      pages++;
    } while (after !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(rows.map((r) => r.id).reverse());
    expect((await store.list({ limit: 7 })).next).toBeNull();
  });

  it("narrows by status, queue, task path and id substring, all together", async () => {
    const store = await h.fresh();
    const rows = [
      newRow({ id: "aaa-111", queueName: "q1", taskPath: "m#one" }),
      newRow({ id: "bbb-111", queueName: "q2", taskPath: "m#one" }),
      newRow({ id: "ccc-222", queueName: "q1", taskPath: "m#two" }),
      newRow({ id: "ddd-111", queueName: "q1", taskPath: "m#one" }),
    ];
    await enqueueAll(store, rows);
    await claimOne(store, { queues: ["q1"] }); // aaa-111 is RUNNING
    const ids = async (request: Parameters<typeof store.list>[0]) => (await store.list(request)).rows.map((r) => r.id);
    expect(await ids({ limit: 10, statuses: ["RUNNING"] })).toEqual(["aaa-111"]);
    expect(await ids({ limit: 10, statuses: ["READY", "RUNNING"], queues: ["q1"] })).toEqual([
      "ddd-111",
      "ccc-222",
      "aaa-111",
    ]);
    expect(await ids({ limit: 10, taskPath: "m#one", idContains: "-111" })).toEqual(["ddd-111", "bbb-111", "aaa-111"]);
    expect(await ids({ limit: 10, idContains: "%" })).toEqual([]);
    expect(await ids({ limit: 10, queues: ["q2"], statuses: ["READY"], taskPath: "m#one" })).toEqual(["bbb-111"]);
    expect(await ids({ limit: 10, statuses: [] })).toEqual([]);
  });

  it("caps a page at 500 rows", async () => {
    const store = await h.fresh();
    await enqueueAll(
      store,
      Array.from({ length: 501 }, () => newRow()),
    );
    const page = await store.list({ limit: 10_000 });
    expect(page.rows).toHaveLength(500);
    expect(page.next).not.toBeNull();
    expect((await store.list({ limit: 10_000, after: page.next! })).rows).toHaveLength(1);
  });

  it("keeps an equal claim order stable across list and claim", async () => {
    const store = await h.fresh();
    const rows = Array.from({ length: 3 }, () => newRow());
    await enqueueAll(store, rows);
    const claims = await store.claim(claimRequest({ limit: 3 }));
    expect(claims.map((c) => c.row.id)).toEqual((await store.list({ limit: 3 })).rows.map((r) => r.id).reverse());
  });
});
