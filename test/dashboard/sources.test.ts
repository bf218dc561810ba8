/**
 * The sources' own rules: the chart's figures, and paging a MemorySource while the backend evicts
 * finished results under it (the immediate backend, real tasks, a small maxResults).
 */
import { afterEach, describe, expect, it } from "vitest";
import { MemorySource } from "../../src/dashboard/index.ts";
import { computeStats } from "../../src/dashboard/stats.ts";
import { closeAll, configure, getBackend, type ImmediateBackend, type TaskResult } from "../../src/index.ts";
import { echo, reconcile } from "../fixtures/dashboard/tasks.ts";

const MINUTE = 60_000;

describe("computeStats", () => {
  it("buckets finished results by the minute they finished in, with median wait and run times", () => {
    const now = 100 * MINUTE + 30_000; // half-way through minute 100
    const row = (finishedAt: number, wait: number, run: number, status = "SUCCESSFUL") => ({
      status,
      enqueuedAt: finishedAt - run - wait,
      startedAt: finishedAt - run,
      finishedAt,
    });
    const stats = computeStats(
      [
        row(100 * MINUTE + 1000, 10, 100),
        row(100 * MINUTE + 2000, 30, 300, "FAILED"),
        row(100 * MINUTE + 3000, 20, 200),
        row(98 * MINUTE, 5, 50),
        row(97 * MINUTE - 1, 1, 1), // before the window
        { status: "READY", enqueuedAt: now - 5, startedAt: null, finishedAt: null },
        { status: "FAILED", enqueuedAt: now - 5, startedAt: null, finishedAt: 99 * MINUTE }, // cancelled while READY
      ],
      now,
      4,
      "the test's rows",
    );
    expect(stats.minutes.map((m) => [m.start / MINUTE, m.succeeded, m.failed, m.waitMs, m.runMs])).toEqual([
      [97, 0, 0, null, null],
      [98, 1, 0, 5, 50],
      [99, 0, 1, null, null],
      [100, 2, 1, 20, 200],
    ]);
    expect(stats.waitMs).toEqual({ p50: 10, p95: 30 });
    expect(stats.runMs).toEqual({ p50: 100, p95: 300 });
    expect(stats.basis).toBe("the test's rows");
  });
});

describe("MemorySource over the immediate backend", () => {
  afterEach(async () => {
    await closeAll();
  });

  it("pages newest first, and a page's cursor still works after its row was evicted", async () => {
    configure({ default: { backend: "immediate", options: { maxResults: 6 } } });
    const source = new MemorySource(getBackend() as ImmediateBackend);
    const results: TaskResult[] = [];
    for (let i = 0; i < 6; i++) results.push(await echo.enqueue(i));
    const ids = results.map((r) => r.id).reverse();
    const first = await source.list({ limit: 2 });
    expect(first.rows.map((r) => r.id)).toEqual(ids.slice(0, 2));
    expect(first.rows[0]).toMatchObject({ status: "SUCCESSFUL", name: "echo", queue: "default", attempts: 1 });
    // Two more finish, evicting the two oldest: page 2 still follows page 1, and is now the last.
    await echo.enqueue(6);
    await echo.enqueue(7);
    const second = await source.list({ limit: 2, after: first.next ?? "" });
    expect(second.rows.map((r) => r.id)).toEqual(ids.slice(2, 4));
    expect(second.next).toBeNull();
    // A cursor whose row was evicted continues with older rows (none are left here), rather than
    // starting over at the newest.
    const page = await source.list({ limit: 2 });
    for (let i = 0; i < 6; i++) await echo.enqueue(100 + i);
    expect((await source.list({ limit: 2, after: page.next ?? "" })).rows).toEqual([]);
    expect(await source.counts()).toEqual({
      queues: [{ queue: "default", counts: { READY: 0, RUNNING: 0, SUCCESSFUL: 6, FAILED: 0 } }],
      total: { READY: 0, RUNNING: 0, SUCCESSFUL: 6, FAILED: 0 },
    });
  });

  it("re-enqueues a failed result as a new one linked both ways; the detail has every error", async () => {
    configure({ default: { backend: "immediate" } });
    const source = new MemorySource(getBackend() as ImmediateBackend);
    const failed = await reconcile.enqueue("ACME-1");
    const detail = await source.detail(failed.id);
    expect(detail?.errors.map((e) => e.message)).toEqual(["account ACME-1 is off by 3 cents"]);
    expect(detail?.errors[0]?.traceback).toContain("reconcile");
    expect(await source.reenqueue("no-such-id")).toBe("missing");
    const again = await source.reenqueue(failed.id);
    if (typeof again === "string") throw new Error(again);
    expect(await source.detail(again.id)).toMatchObject({
      reenqueuedFrom: failed.id,
      args: ["ACME-1"],
      status: "FAILED",
    });
    expect((await source.detail(failed.id))?.reenqueuedAs).toBe(again.id);
    expect(await source.cancel(failed.id)).toBe("finished");
  });
});
