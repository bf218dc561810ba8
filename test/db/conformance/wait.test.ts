/** waitFinished and onReady: learning about changes, from this process and from another one. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnStoreChild } from "../support/child.ts";
import { claimOne, newRow, taskError } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

describe.each(stores)("$dialect store: waiting", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  it("resolves when another process settles the row", async () => {
    const url = await h.freshUrl();
    const store = await h.open(url);
    const row = await store.enqueue(newRow());
    const child = spawnStoreChild(["settle-on-cue", url, "child-worker"]);
    expect((await child.next("claimed")).id).toBe(row.id);
    let resolved = false;
    const waiting = store.waitFinished(row.id).then((r) => {
      resolved = true;
      return r;
    });
    // The row is RUNNING in the child: a poll or two must not resolve the wait.
    await new Promise<void>((r) => setImmediate(r));
    expect(resolved).toBe(false);
    child.send("settle");
    expect(await child.next("settled")).toMatchObject({ recorded: true });
    expect(await waiting).toMatchObject({ id: row.id, status: "SUCCESSFUL", returnValue: "done" });
    await child.exited;
  });

  it("resolves at once for a finished row, and when this process settles it", async () => {
    const store = await h.fresh();
    await store.enqueue(newRow());
    const claim = await claimOne(store);
    const waiting = store.waitFinished(claim.row.id);
    await store.settle([{ id: claim.row.id, token: claim.token, kind: "failed", error: taskError("no") }]);
    expect((await waiting).status).toBe("FAILED");
    expect((await store.waitFinished(claim.row.id)).status).toBe("FAILED");
  });

  it("resolves when a READY row is cancelled", async () => {
    const store = await h.fresh();
    const row = await store.enqueue(newRow());
    const waiting = store.waitFinished(row.id);
    await store.cancel(row.id, taskError("stop", "TaskCancelled"));
    expect((await waiting).status).toBe("FAILED");
  });

  it("rejects with the signal's reason when it aborts, and the row is untouched", async () => {
    const store = await h.fresh();
    const row = await store.enqueue(newRow());
    const controller = new AbortController();
    const waiting = store.waitFinished(row.id, controller.signal);
    const reason = new Error("gave up");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(store.waitFinished(row.id, AbortSignal.abort("already"))).rejects.toBe("already");
    expect((await store.get(row.id))?.status).toBe("READY");
  });

  it("rejects with TaskStoreError for a row that does not exist", async () => {
    const store = await h.fresh();
    await expect(store.waitFinished("no-such-row")).rejects.toMatchObject({ code: "TASKLANE_DATABASE" });
  });

  it("rejects pending waits when the store closes", async () => {
    const url = await h.freshUrl();
    const store = await h.open(url);
    const row = await store.enqueue(newRow());
    const waiting = store.waitFinished(row.id);
    await store.close();
    await expect(waiting).rejects.toMatchObject({ code: "TASKLANE_DATABASE" });
    await store.close();
    await expect(store.get(row.id)).rejects.toMatchObject({ code: "TASKLANE_DATABASE" });
  });

  it("calls onReady listeners after an enqueue and a retry through the same store, until unsubscribed", async () => {
    const store = await h.fresh();
    let calls = 0;
    let woken: () => void = () => {};
    const unsubscribe = store.onReady(() => {
      calls++;
      woken();
    });
    const next = () => new Promise<void>((r) => (woken = r));
    let wake = next();
    await store.enqueue(newRow({ maxAttempts: 2 }));
    await wake;
    const claim = await claimOne(store);
    wake = next();
    await store.settle([{ id: claim.row.id, token: claim.token, kind: "retry", error: taskError("x"), delayMs: 0 }]);
    await wake;
    expect(calls).toBe(2);
    unsubscribe();
    await store.enqueue(newRow());
    await new Promise<void>((r) => setImmediate(r));
    expect(calls).toBe(2);
  });
});
