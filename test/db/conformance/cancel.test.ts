/** cancel() from any process: what it does to a row in each status, and how the worker learns. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimOne, HOUR, newRow, taskError } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

const cancelled = taskError("cancelled by the user", "TaskCancelled");

describe.each(stores)("$dialect store: cancel", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  it("fails a READY row at once; it is never claimed", async () => {
    const store = await h.fresh();
    const row = await store.enqueue(newRow());
    expect(await store.cancel(row.id, cancelled)).toBe("cancelled");
    const after = (await store.get(row.id))!;
    expect(after).toMatchObject({ status: "FAILED", errors: [cancelled], cancelRequested: null });
    expect(after.finishedAt).not.toBeNull();
    expect(await store.claim({ workerId: "w", queues: "*", excludeQueues: [], limit: 5, leaseMs: HOUR })).toEqual([]);
  });

  it("stores a row enqueued already cancelled as FAILED in one statement: never claimable, no wake-up", async () => {
    const store = await h.fresh();
    let woken = 0;
    const off = store.onReady(() => woken++);
    const row = await store.enqueue(newRow({ cancelled }));
    expect(row).toMatchObject({ status: "FAILED", errors: [cancelled], workerIds: [] });
    expect(row.finishedAt).not.toBeNull();
    expect(await store.claim({ workerId: "w", queues: "*", excludeQueues: [], limit: 5, leaseMs: HOUR })).toEqual([]);
    await Promise.resolve();
    expect(woken).toBe(0);
    off();
  });

  it("fails a READY row that waits for its run_after", async () => {
    const store = await h.fresh();
    const row = await store.enqueue(newRow({ runAfter: Date.now() + HOUR }));
    expect(await store.cancel(row.id, cancelled)).toBe("cancelled");
    expect((await store.get(row.id))?.status).toBe("FAILED");
  });

  it("records the request on a RUNNING row, keeps the first one, and tells the worker at renewal", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    const claim = await claimOne(store, { workerId: "w" });
    expect(await store.cancel(claim.row.id, cancelled)).toBe("requested");
    expect(await store.cancel(claim.row.id, taskError("second", "TaskCancelled"))).toBe("requested");
    const row = (await store.get(claim.row.id))!;
    expect(row).toMatchObject({ status: "RUNNING", cancelRequested: cancelled, errors: [] });
    expect(await store.renew("w", [{ id: claim.row.id, token: claim.token }], HOUR)).toEqual({
      lost: [],
      cancelRequested: [{ id: claim.row.id, error: cancelled }],
    });
    // The worker stops the task and records the cancellation.
    await store.settle([{ id: claim.row.id, token: claim.token, kind: "failed", error: cancelled }]);
    expect(await store.get(claim.row.id)).toMatchObject({ status: "FAILED", errors: [cancelled] });
  });

  it("ends a retry FAILED when a cancel was asked for meanwhile: no further attempt", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow({ maxAttempts: 3 }));
    const claim = await claimOne(store);
    await store.cancel(claim.row.id, cancelled);
    const error = taskError("failed on its own before the worker could stop it");
    const [recorded] = await store.settle([{ id: claim.row.id, token: claim.token, kind: "retry", error, delayMs: 0 }]);
    expect(recorded).toBe(true);
    const row = (await store.get(claim.row.id))!;
    expect(row).toMatchObject({ status: "FAILED", errors: [error], cancelRequested: cancelled, lockedBy: null });
    expect(row.finishedAt).not.toBeNull();
  });

  it("leaves a finished row as it was", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    const claim = await claimOne(store);
    await store.settle([{ id: claim.row.id, token: claim.token, kind: "succeeded", value: 7 }]);
    const before = await store.get(claim.row.id);
    expect(await store.cancel(claim.row.id, cancelled)).toBe("finished");
    expect(await store.get(claim.row.id)).toEqual(before);
    const failed = await store.enqueue(newRow());
    await store.cancel(failed.id, cancelled);
    expect(await store.cancel(failed.id, cancelled)).toBe("finished");
  });

  it("answers missing for an unknown or malformed id", async () => {
    const store = await h.fresh();
    expect(await store.cancel("00000000-0000-0000-0000-000000000000", cancelled)).toBe("missing");
    expect(await store.cancel("not a uuid' OR 1=1 --", cancelled)).toBe("missing");
  });
});
