/** The claim: django-tasks-db's order, due times, queue filters, the limit and what a claim records. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimRequest, DAY, enqueueAll, HOUR, newRow, taskError } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

describe.each(stores)("$dialect store: claim", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  it("claims in django-tasks-db's order and never claims a future run_after early", async () => {
    const store = await h.fresh();
    const now = Date.now();
    const rows = {
      very_old: newRow({ priority: 20, runAfter: now - 30 * DAY }),
      old: newRow({ priority: 20, runAfter: now - HOUR }),
      high_priority_far_future: newRow({ priority: 10, runAfter: now + 30 * DAY }),
      high_priority: newRow({ priority: 10 }),
      low_priority: newRow({ priority: 2 }),
      future: newRow({ priority: 0, runAfter: now + HOUR }),
      far_future: newRow({ priority: 0, runAfter: now + DAY }),
      lower_priority: newRow({ priority: -2 }),
    };
    const name = new Map(Object.entries(rows).map(([key, row]) => [row.id, key]));
    // Enqueued backwards, so enqueue order alone would give the reverse.
    await enqueueAll(store, Object.values(rows).reverse());
    const order: string[] = [];
    for (;;) {
      const claims = await store.claim(claimRequest({ limit: 1 }));
      if (claims.length === 0) break;
      order.push(name.get(claims[0]!.row.id)!);
    }
    expect(order).toEqual(["very_old", "old", "high_priority", "low_priority", "lower_priority"]);
    for (const key of ["high_priority_far_future", "future", "far_future"] as const) {
      expect((await store.get(rows[key].id))?.status).toBe("READY");
    }
  });

  it("hands out one batch in claim order", async () => {
    const store = await h.fresh();
    const now = Date.now();
    const rows = [
      newRow({ priority: 0 }),
      newRow({ priority: 0, runAfter: now - 1000 }),
      newRow({ priority: 5 }),
      newRow({ priority: 0 }),
      newRow({ priority: -5, runAfter: now - DAY }),
    ];
    await enqueueAll(store, rows);
    const claims = await store.claim(claimRequest({ limit: 10 }));
    // Equal priority: a past run_after first, then enqueue order.
    expect(claims.map((c) => c.row.id)).toEqual([rows[2]!.id, rows[1]!.id, rows[0]!.id, rows[3]!.id, rows[4]!.id]);
  });

  it("breaks ties by enqueue order even within one millisecond", async () => {
    const store = await h.fresh();
    const rows = Array.from({ length: 50 }, () => newRow());
    await enqueueAll(store, rows);
    const claims = await store.claim(claimRequest({ limit: 50 }));
    expect(claims.map((c) => c.row.id)).toEqual(rows.map((r) => r.id));
  });

  it("claims at most `limit` rows", async () => {
    const store = await h.fresh();
    await enqueueAll(
      store,
      Array.from({ length: 5 }, () => newRow()),
    );
    const sizes = [];
    for (let i = 0; i < 4; i++) sizes.push((await store.claim(claimRequest({ limit: 2 }))).length);
    expect(sizes).toEqual([2, 2, 1, 0]);
  });

  it("takes only the queues asked for, and none excluded", async () => {
    const store = await h.fresh();
    const queues = ["default", "emails", "reports", "emails", "default", "reports"];
    const rows = queues.map((queueName) => newRow({ queueName }));
    await enqueueAll(store, rows);
    const queueOf = async (request: Parameters<typeof claimRequest>[0]) =>
      (await store.claim(claimRequest(request))).map((c) => c.row.queueName);

    expect(await queueOf({ queues: ["emails"], limit: 10 })).toEqual(["emails", "emails"]);
    expect(await queueOf({ queues: ["nothing-here"] })).toEqual([]);
    expect(await queueOf({ queues: "*", excludeQueues: ["default"], limit: 10 })).toEqual(["reports", "reports"]);
    expect(await queueOf({ queues: ["default", "reports"], limit: 10 })).toEqual(["default", "default"]);
  });

  it("takes every queue with *", async () => {
    const store = await h.fresh();
    await enqueueAll(store, [newRow({ queueName: "a" }), newRow({ queueName: "b" }), newRow({ queueName: "c" })]);
    expect((await store.claim(claimRequest({ queues: "*" }))).map((c) => c.row.queueName)).toEqual(["a", "b", "c"]);
  });

  it("records the attempt: RUNNING, times from the database, the worker, a lease and a fresh token", async () => {
    const store = await h.fresh();
    const enqueued = await store.enqueue(newRow({ maxAttempts: 3 }));
    const before = Date.now();
    const [first] = await store.claim(claimRequest({ workerId: "w-1", leaseMs: 30_000 }));
    const row = first!.row;
    expect(row).toMatchObject({ id: enqueued.id, status: "RUNNING", workerIds: ["w-1"], lockedBy: "w-1" });
    expect(row.startedAt).toBe(row.lastAttemptedAt);
    expect(row.startedAt!).toBeGreaterThanOrEqual(enqueued.enqueuedAt);
    // The database's clock (on this machine for the tests): the same instant give or take a minute.
    expect(Math.abs(row.startedAt! - before)).toBeLessThan(60_000);
    expect(row.leaseExpiresAt).toBe(row.lastAttemptedAt! + 30_000);
    expect(first!.token).toMatch(/\S{8,}/);
    expect(await store.get(enqueued.id)).toEqual(row);

    // The second attempt keeps startedAt, moves lastAttemptedAt and appends its worker.
    expect(
      await store.settle([{ id: row.id, token: first!.token, kind: "retry", error: taskError("x"), delayMs: 0 }]),
    ).toEqual([true]);
    const [second] = await store.claim(claimRequest({ workerId: "w-2" }));
    expect(second!.row.workerIds).toEqual(["w-1", "w-2"]);
    expect(second!.row.startedAt).toBe(row.startedAt);
    expect(second!.row.lastAttemptedAt!).toBeGreaterThanOrEqual(row.lastAttemptedAt!);
    expect(second!.token).not.toBe(first!.token);
  });

  it("never claims a row twice from two stores on one database", async () => {
    const url = await h.freshUrl();
    const [a, b] = [await h.open(url), await h.open(url)];
    const rows = Array.from({ length: 200 }, () => newRow());
    await enqueueAll(a, rows);
    const seen: string[] = [];
    for (let round = 0; round < 30; round++) {
      const [x, y] = await Promise.all([a.claim(claimRequest({ limit: 7 })), b.claim(claimRequest({ limit: 5 }))]);
      seen.push(...x.map((c) => c.row.id), ...y.map((c) => c.row.id));
    }
    expect(seen.length).toBe(200);
    expect(new Set(seen).size).toBe(200);
  });
});
