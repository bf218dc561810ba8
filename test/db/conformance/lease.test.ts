/**
 * Leases: renewal, progress, taking over rows whose lease ran out, and the fence that keeps a
 * worker that lost its lease from recording anything over the attempt that replaced it.
 * A lease of 0 ms has run out as soon as it is granted; one of an hour has not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Claim } from "../../../src/db/store.ts";
import { claimOne, claimRequest, enqueueAll, HOUR, newRow, taskError } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

describe.each(stores)("$dialect store: leases", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  it("renews held claims and reports the lost ones", async () => {
    const store = await h.fresh();
    await enqueueAll(store, [newRow(), newRow()]);
    const [a, b] = (await store.claim(claimRequest({ workerId: "w", leaseMs: 1000 }))) as [Claim, Claim];
    await store.settle([{ id: b.row.id, token: b.token, kind: "succeeded", value: 1 }]);
    const result = await store.renew(
      "w",
      [
        { id: a.row.id, token: a.token },
        { id: b.row.id, token: b.token },
        { id: "unknown", token: "t" },
      ],
      HOUR,
    );
    expect(result).toEqual({ lost: [b.row.id, "unknown"], cancelRequested: [] });
    expect((await store.get(a.row.id))!.leaseExpiresAt!).toBeGreaterThan(a.row.leaseExpiresAt! + HOUR - 60_000);
    expect(await store.renew("w", [], HOUR)).toEqual({ lost: [], cancelRequested: [] });
  });

  it("does not renew another worker's claim", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    const claim = await claimOne(store, { workerId: "w-1" });
    expect((await store.renew("w-2", [{ id: claim.row.id, token: claim.token }], HOUR)).lost).toEqual([claim.row.id]);
  });

  it("stores progress for the holder only", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    const claim = await claimOne(store);
    expect(await store.progress(claim.row.id, claim.token, 0.5)).toBe(true);
    expect((await store.get(claim.row.id))?.progress).toBe(0.5);
    const counts = { current: 3, total: 10, message: "copying" };
    expect(await store.progress(claim.row.id, claim.token, counts)).toBe(true);
    expect((await store.get(claim.row.id))?.progress).toEqual(counts);
    expect(await store.progress(claim.row.id, "stale", 0.9)).toBe(false);
    expect((await store.get(claim.row.id))?.progress).toEqual(counts);
  });

  it("takes over only rows whose lease ran out, without adding an attempt", async () => {
    const store = await h.fresh();
    await enqueueAll(store, [newRow(), newRow()]);
    const expired = await claimOne(store, { workerId: "dead", leaseMs: 0 });
    const alive = await claimOne(store, { workerId: "alive", leaseMs: HOUR });
    const taken = await store.reapExpired("reaper", HOUR, 10);
    expect(taken.map((e) => [e.claim.row.id, e.lostWorker])).toEqual([[expired.row.id, "dead"]]);
    const row = taken[0]!.claim.row;
    expect(row).toMatchObject({ status: "RUNNING", lockedBy: "reaper", workerIds: ["dead"], errors: [] });
    expect(row.lastAttemptedAt).toBe(expired.row.lastAttemptedAt);
    expect(taken[0]!.claim.token).not.toBe(expired.token);
    expect(await store.reapExpired("reaper", HOUR, 10)).toEqual([]);
    expect((await store.get(alive.row.id))?.lockedBy).toBe("alive");
  });

  it("fences the worker that lost its lease: settle, renew and progress change nothing", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow({ maxAttempts: 2 }));
    const lost = await claimOne(store, { workerId: "slow", leaseMs: 0 });
    const [reaped] = await store.reapExpired("reaper", HOUR, 1);
    const after = await store.get(lost.row.id);

    expect(await store.settle([{ id: lost.row.id, token: lost.token, kind: "succeeded", value: "late" }])).toEqual([
      false,
    ]);
    expect(await store.progress(lost.row.id, lost.token, 1)).toBe(false);
    expect((await store.renew("slow", [{ id: lost.row.id, token: lost.token }], HOUR)).lost).toEqual([lost.row.id]);
    expect(await store.get(lost.row.id)).toEqual(after);

    // The reaper's claim is the one that counts: it records the lost attempt and retries.
    const workerLost = taskError("the worker running the attempt stopped renewing its lease", "WorkerLost");
    const [recorded] = await store.settle([
      { id: lost.row.id, token: reaped!.claim.token, kind: "retry", error: workerLost, delayMs: 0 },
    ]);
    expect(recorded).toBe(true);
    const retry = await claimOne(store, { workerId: "next" });
    expect(retry.row.workerIds).toEqual(["slow", "next"]);
    expect(retry.row.errors).toEqual([workerLost]);
    // The slow worker's token still counts for nothing on the new attempt.
    expect(await store.settle([{ id: lost.row.id, token: lost.token, kind: "failed", error: taskError("x") }])).toEqual(
      [false],
    );
  });

  it("reaps at most `limit` rows per call", async () => {
    const store = await h.fresh();
    await enqueueAll(
      store,
      Array.from({ length: 5 }, () => newRow()),
    );
    const claimed = [];
    for (let i = 0; i < 5; i++) claimed.push(await claimOne(store, { workerId: `w-${i}`, leaseMs: 0 }));
    const first = await store.reapExpired("r", HOUR, 2);
    expect(first).toHaveLength(2);
    expect((await store.reapExpired("r", HOUR, 10)).length).toBe(3);
    expect(first.map((e) => e.lostWorker).every((w) => w.startsWith("w-"))).toBe(true);
  });

  it("lets a reaped row be taken over again when the reaper's own lease runs out", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    await claimOne(store, { workerId: "first", leaseMs: 0 });
    await store.reapExpired("reaper-1", 0, 1);
    const [second] = await store.reapExpired("reaper-2", HOUR, 1);
    expect(second?.lostWorker).toBe("reaper-1");
  });
});
