/**
 * What the dashboard reads and does through the store: the rows changed since a watermark, the
 * finished counts per minute and the wait/run times, and the re-enqueue of a FAILED row.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskStore } from "../../../src/db/store.ts";
import { claimOne, newRow, taskError } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

describe.each(stores)("$dialect store: dashboard reads", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  /** The rows changed at or after `since`, as `id:status` in the order the store gives them. */
  const changed = async (store: TaskStore, since: number) =>
    (await store.changedSince(since, 100)).map((r) => `${r.id}:${r.status}`);

  it("lists the rows changed since a watermark, oldest change first, and each change moves it", async () => {
    const store = await h.fresh();
    expect(await store.latestChange()).toBe(0);
    const a = await store.enqueue(newRow({ id: "a" }));
    const b = await store.enqueue(newRow({ id: "b" }));
    expect(await changed(store, 0)).toEqual(["a:READY", "b:READY"]);
    expect(await store.latestChange()).toBe(b.changedAt);

    const claim = await claimOne(store); // a
    const claimed = (await store.get("a"))!;
    expect(claimed.changedAt).toBeGreaterThanOrEqual(b.changedAt);
    expect(await changed(store, claimed.changedAt)).toContain("a:RUNNING");
    expect((await store.changedSince(claimed.changedAt, 100)).at(-1)?.id).toBe("a");

    await store.progress("a", claim.token, { current: 1, total: 2 });
    const progressed = (await store.get("a"))!;
    expect(progressed.changedAt).toBeGreaterThanOrEqual(claimed.changedAt);
    expect((await store.changedSince(progressed.changedAt, 100)).at(-1)?.progress).toEqual({ current: 1, total: 2 });

    await store.settle([{ id: "a", token: claim.token, kind: "succeeded", value: 1 }]);
    const settled = (await store.get("a"))!;
    expect(await store.latestChange()).toBe(settled.changedAt);
    // Rows changed in the same millisecond come too: only the order is certain.
    expect((await changed(store, settled.changedAt)).at(-1)).toBe("a:SUCCESSFUL");

    await store.cancel("b", taskError("stop", "tasklane.TaskCancelled"));
    const cancelled = (await store.get("b"))!;
    expect((await changed(store, cancelled.changedAt)).at(-1)).toBe("b:FAILED");
    expect(a.changedAt).toBeLessThanOrEqual(cancelled.changedAt);
  });

  it("does not count a lease renewal as a change", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow({ id: "r" }));
    const claim = await claimOne(store);
    const before = (await store.get("r"))!.changedAt;
    // Renew until the database's clock has moved past the claim, so a change would show.
    let renewed = before;
    while (renewed <= before) {
      await store.renew("worker-1", [{ id: "r", token: claim.token }], 60_000);
      renewed = (await store.get("r"))!.leaseExpiresAt! - 60_000;
    }
    expect((await store.get("r"))!.changedAt).toBe(before);
    expect(await changed(store, before + 1)).toEqual([]);
  });

  it("caps what one poll returns at the limit", async () => {
    const store = await h.fresh();
    for (let i = 0; i < 5; i++) await store.enqueue(newRow());
    expect(await store.changedSince(0, 3)).toHaveLength(3);
    await expect(store.changedSince(0, 0)).rejects.toThrow(/limit/);
  });

  it("counts finished rows per minute and status, and gives their times newest first", async () => {
    const store = await h.fresh();
    for (const id of ["s1", "s2", "f1", "c1"]) await store.enqueue(newRow({ id }));
    await store.enqueue(newRow({ id: "still-ready" }));
    const settleNext = async (kind: "succeeded" | "failed") => {
      const claim = await claimOne(store);
      await store.settle([
        kind === "succeeded"
          ? { id: claim.row.id, token: claim.token, kind, value: null }
          : { id: claim.row.id, token: claim.token, kind, error: taskError("no") },
      ]);
    };
    await settleNext("succeeded");
    await settleNext("succeeded");
    await settleNext("failed");
    await store.cancel("c1", taskError("stop", "tasklane.TaskCancelled"));

    const minutes = await store.finishedPerMinute(0);
    const total = (status: string) => minutes.filter((m) => m.status === status).reduce((sum, m) => sum + m.count, 0);
    expect(total("SUCCESSFUL")).toBe(2);
    expect(total("FAILED")).toBe(2);
    for (const m of minutes) expect(m.minute % 60_000).toBe(0);
    const last = (await store.get("c1"))!.finishedAt!;
    expect(await store.finishedPerMinute(last + 60_000)).toEqual([]);

    const timings = await store.finishedTimings(0, 100);
    expect(timings).toHaveLength(4);
    expect(timings.map((t) => t.finishedAt)).toEqual(timings.map((t) => t.finishedAt).sort((x, y) => y - x));
    const s1 = (await store.get("s1"))!;
    expect(timings).toContainEqual({
      status: "SUCCESSFUL",
      enqueuedAt: s1.enqueuedAt,
      startedAt: s1.startedAt,
      finishedAt: s1.finishedAt,
    });
    expect(timings.filter((t) => t.startedAt === null)).toHaveLength(1); // c1, cancelled while READY
    expect(await store.finishedTimings(0, 2)).toHaveLength(2);
  });

  it("re-enqueues a FAILED row once, as a READY copy linked both ways", async () => {
    const store = await h.fresh();
    const fields = newRow({
      id: "old",
      taskPath: "file:///app/mail.js#send",
      queueName: "emails",
      backendName: "db",
      priority: 7,
      args: [{ to: "a@b" }, 2],
      runAfter: Date.now() - 1000,
      maxAttempts: 3,
      backoffMs: 50,
      timeoutMs: 900,
    });
    await store.enqueue(fields);
    await store.cancel("old", taskError("stop", "tasklane.TaskCancelled"));

    const outcome = await store.reenqueue("old", "new");
    expect(outcome).toHaveProperty("row");
    const row = (outcome as { row: Awaited<ReturnType<TaskStore["get"]>> }).row!;
    expect(row).toMatchObject({
      id: "new",
      status: "READY",
      taskPath: fields.taskPath,
      queueName: "emails",
      backendName: "db",
      priority: 7,
      args: fields.args,
      runAfter: null,
      maxAttempts: 3,
      backoffMs: 50,
      timeoutMs: 900,
      errors: [],
      workerIds: [],
      reenqueuedFrom: "old",
      reenqueuedAs: null,
    });
    expect(await store.get("new")).toEqual(row);
    const old = (await store.get("old"))!;
    expect(old).toMatchObject({ status: "FAILED", reenqueuedAs: "new" });
    expect(await changed(store, old.changedAt)).toContain("old:FAILED");

    // A second click makes nothing new.
    expect(await store.reenqueue("old", "newer")).toEqual({ existing: "new" });
    expect(await store.get("newer")).toBeNull();
    // The copy is claimable like any READY row.
    expect((await claimOne(store)).row.id).toBe("new");
  });

  it("refuses to re-enqueue a row that is not FAILED, or none", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow({ id: "ready" }));
    expect(await store.reenqueue("ready", "x")).toBe("not-failed");
    expect(await store.reenqueue("nope", "y")).toBe("missing");
    expect(await store.get("x")).toBeNull();
    expect((await store.list({ limit: 10 })).rows).toHaveLength(1);
  });
});
