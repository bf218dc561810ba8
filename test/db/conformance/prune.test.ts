/** prune: finished rows by age (a separate age for FAILED), per queue, in batches, dry run; never READY or RUNNING. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskStore } from "../../../src/db/store.ts";
import { until } from "../../support/gate.ts";
import { claimOne, claimRequest, DAY, enqueueAll, newRow, taskError } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

/** Enqueues, claims and settles one row; returns the finished row. */
async function finished(store: TaskStore, kind: "succeeded" | "failed", queueName = "default") {
  await store.enqueue(newRow({ queueName }));
  const claim = await claimOne(store, { queues: [queueName] });
  await store.settle([
    kind === "succeeded"
      ? { id: claim.row.id, token: claim.token, kind, value: 1 }
      : { id: claim.row.id, token: claim.token, kind, error: taskError("x") },
  ]);
  return (await store.get(claim.row.id))!;
}

const all = { queues: "*" as const, dryRun: false };

describe.each(stores)("$dialect store: prune", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  it("deletes finished rows at least the age old, with FAILED on its own age, and never READY or RUNNING", async () => {
    const store = await h.fresh();
    const ready = await store.enqueue(newRow({ queueName: "idle" }));
    await store.enqueue(newRow({ queueName: "busy" }));
    const running = await claimOne(store, { queues: ["busy"] });
    const oldOk = await finished(store, "succeeded");
    const oldFailed = await finished(store, "failed");
    // The age is measured on the database's clock; this machine's serves as its stand-in here.
    const AGE = 1000;
    await until(() => Date.now() >= Math.max(oldOk.finishedAt!, oldFailed.finishedAt!) + AGE + 500, "rows aged");
    const newOk = await finished(store, "succeeded");
    const newFailed = await finished(store, "failed");

    expect(await store.prune({ ...all, minAgeMs: AGE, failedMinAgeMs: AGE, dryRun: true })).toBe(2);
    expect(await store.prune({ ...all, minAgeMs: AGE, failedMinAgeMs: DAY })).toBe(1);
    expect(await store.get(oldOk.id)).toBeNull();
    expect(await store.get(oldFailed.id)).not.toBeNull();
    expect(await store.prune({ ...all, minAgeMs: DAY, failedMinAgeMs: AGE })).toBe(1);
    expect(await store.get(oldFailed.id)).toBeNull();
    expect(await store.get(newOk.id)).not.toBeNull();

    // 0 days: everything finished goes, READY and RUNNING stay.
    expect(await store.prune({ ...all, minAgeMs: 0, failedMinAgeMs: 0 })).toBe(2);
    expect(await store.get(newFailed.id)).toBeNull();
    expect((await store.get(ready.id))?.status).toBe("READY");
    expect((await store.get(running.row.id))?.status).toBe("RUNNING");
    expect(await store.prune({ ...all, minAgeMs: 0, failedMinAgeMs: 0 })).toBe(0);
  });

  it("counts without deleting on a dry run", async () => {
    const store = await h.fresh();
    const row = await finished(store, "succeeded");
    expect(await store.prune({ ...all, minAgeMs: 0, failedMinAgeMs: 0, dryRun: true })).toBe(1);
    expect(await store.get(row.id)).not.toBeNull();
  });

  it("keeps to the queues asked for", async () => {
    const store = await h.fresh();
    const rows = [];
    for (const queue of ["a", "b", "c"]) rows.push(await finished(store, "succeeded", queue));
    expect(await store.prune({ queues: ["a", "c"], minAgeMs: 0, failedMinAgeMs: 0, dryRun: false })).toBe(2);
    expect((await Promise.all(rows.map((r) => store.get(r.id)))).map((r) => r?.queueName ?? null)).toEqual([
      null,
      "b",
      null,
    ]);
  });

  it("deletes more rows than one batch holds", async () => {
    const store = await h.fresh();
    const N = 2500;
    await enqueueAll(
      store,
      Array.from({ length: N }, () => newRow()),
    );
    const claims = await store.claim(claimRequest({ limit: N }));
    await store.settle(claims.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: 0 })));
    expect(await store.prune({ ...all, minAgeMs: 0, failedMinAgeMs: 0 })).toBe(N);
    expect(await store.counts()).toEqual([]);
  });
});
