/** Recording how attempts ended: success, failure, retry, many at once, and the token fence. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Claim } from "../../../src/db/store.ts";
import { claimOne, claimRequest, enqueueAll, HOUR, newRow, taskError } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

describe.each(stores)("$dialect store: settle", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  it("records SUCCESSFUL with the value and clears the lease", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    const claim = await claimOne(store);
    const value = { sent: true, to: ["a", "b"], n: 3, nothing: null };
    expect(await store.settle([{ id: claim.row.id, token: claim.token, kind: "succeeded", value }])).toEqual([true]);
    const row = (await store.get(claim.row.id))!;
    expect(row).toMatchObject({ status: "SUCCESSFUL", returnValue: value, lockedBy: null, leaseExpiresAt: null });
    expect(row.finishedAt!).toBeGreaterThanOrEqual(row.lastAttemptedAt!);
    expect(row.errors).toEqual([]);
  });

  it("keeps a null return value as null", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    const claim = await claimOne(store);
    await store.settle([{ id: claim.row.id, token: claim.token, kind: "succeeded", value: null }]);
    expect((await store.get(claim.row.id))?.returnValue).toBeNull();
  });

  it("records FAILED with the error appended", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    const claim = await claimOne(store);
    const error = { ...taskError("boom", "TypeError"), code: "E_BOOM" };
    expect(await store.settle([{ id: claim.row.id, token: claim.token, kind: "failed", error }])).toEqual([true]);
    const row = (await store.get(claim.row.id))!;
    expect(row).toMatchObject({ status: "FAILED", errors: [error], returnValue: null, lockedBy: null });
    expect(row.finishedAt).not.toBeNull();
  });

  it("puts a retry back to READY with run_after in the future, not claimable before it is due", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow({ maxAttempts: 3 }));
    const claim = await claimOne(store);
    const before = Date.now();
    const error = taskError("try again");
    const [recorded] = await store.settle([
      { id: claim.row.id, token: claim.token, kind: "retry", error, delayMs: HOUR },
    ]);
    expect(recorded).toBe(true);
    const row = (await store.get(claim.row.id))!;
    expect(row).toMatchObject({ status: "READY", errors: [error], finishedAt: null, lockedBy: null });
    expect(row.runAfter!).toBeGreaterThan(before + HOUR - 60_000);
    expect(await store.claim(claimRequest())).toEqual([]);
  });

  it("makes a retry with no delay claimable at once, as attempt 2", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow({ maxAttempts: 2 }));
    const first = await claimOne(store, { workerId: "w-1" });
    await store.settle([{ id: first.row.id, token: first.token, kind: "retry", error: taskError("1"), delayMs: 0 }]);
    const second = await claimOne(store, { workerId: "w-2" });
    expect(second.row.workerIds).toEqual(["w-1", "w-2"]);
    expect(second.row.errors.map((e) => e.message)).toEqual(["1"]);
  });

  it("settles many in one call, each fenced by its own token, answering in order", async () => {
    const store = await h.fresh();
    await enqueueAll(
      store,
      Array.from({ length: 4 }, () => newRow()),
    );
    const claims = await store.claim(claimRequest({ limit: 4 }));
    const [a, b, c, d] = claims as [Claim, Claim, Claim, Claim];
    const recorded = await store.settle([
      { id: a.row.id, token: a.token, kind: "succeeded", value: 1 },
      { id: b.row.id, token: "not-the-token", kind: "succeeded", value: 2 },
      { id: c.row.id, token: c.token, kind: "failed", error: taskError("c") },
      { id: d.row.id, token: d.token, kind: "retry", error: taskError("d"), delayMs: HOUR },
    ]);
    expect(recorded).toEqual([true, false, true, true]);
    const statuses = await Promise.all(claims.map(async (x) => (await store.get(x.row.id))?.status));
    expect(statuses).toEqual(["SUCCESSFUL", "RUNNING", "FAILED", "READY"]);
  });

  it("refuses a second settlement of the same claim", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    const claim = await claimOne(store);
    await store.settle([{ id: claim.row.id, token: claim.token, kind: "succeeded", value: "first" }]);
    const again = await store.settle([{ id: claim.row.id, token: claim.token, kind: "failed", error: taskError("x") }]);
    expect(again).toEqual([false]);
    expect(await store.get(claim.row.id)).toMatchObject({ status: "SUCCESSFUL", returnValue: "first", errors: [] });
  });

  it("answers false for an unknown id", async () => {
    const store = await h.fresh();
    expect(await store.settle([{ id: "no-such-id", token: "t", kind: "succeeded", value: 1 }])).toEqual([false]);
    expect(await store.settle([])).toEqual([]);
  });
});
