/**
 * The sources' own rules: the chart's figures, and paging a MemorySource while the backend evicts
 * finished results under it (the immediate backend, real tasks, a small maxResults).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type DashboardChange, MemorySource, StoreSource } from "../../src/dashboard/index.ts";
import { computeStats } from "../../src/dashboard/stats.ts";
import { openStore } from "../../src/db/open-store.ts";
import type { TaskStore } from "../../src/db/store.ts";
import { closeAll, configure, getBackend, type ImmediateBackend, type TaskResult } from "../../src/index.ts";
import { newRow } from "../db/support/rows.ts";
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
    // Once per failed result: a second click names the first copy.
    expect(await source.reenqueue(failed.id)).toEqual({ id: again.id });
    expect(await source.cancel(failed.id)).toBe("finished");
  });
});

describe("StoreSource over a SQLite file written by another connection", () => {
  let dir = "";
  const opened: TaskStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  /** Two stores on one new file: the source reads through one, the "other process" writes through the other. */
  async function twoStores(): Promise<[TaskStore, TaskStore]> {
    dir = mkdtempSync(join(tmpdir(), "tasklane-dash-"));
    const url = `sqlite:${join(dir, "tasks.db")}`;
    const a = await openStore(url);
    const b = await openStore(url);
    opened.push(a, b);
    await a.migrate();
    return [a, b];
  }

  /**
   * A source over `store` and its feed's changes; `until(check)` resolves once `check` holds for
   * what came, `primed` once the first poll is over (a poll starts by asking for the store, and
   * polls never overlap, so the second ask means the first poll, which sets the watermark, ended).
   */
  function follow(store: TaskStore) {
    let asked = 0;
    let primed: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      primed = resolve;
    });
    const source = new StoreSource(
      async () => {
        if (++asked === 2) primed();
        return store;
      },
      { backend: "db", pollMs: 10 },
    );
    const changes: DashboardChange[] = [];
    const waiters: (() => void)[] = [];
    const off = source.subscribe((change) => {
      changes.push(change);
      for (const w of waiters.splice(0)) w();
    });
    const until = async (check: () => boolean) => {
      while (!check()) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    return { source, changes, until, off, primed: ready };
  }

  it("reports each change another connection makes, once, and nothing while nothing changes", async () => {
    const [mine, other] = await twoStores();
    await other.enqueue(newRow({ id: "before" })); // made before the page opened: not a change
    const feed = follow(mine);
    await feed.primed;
    await other.enqueue(newRow({ id: "a" }));
    await feed.until(() => feed.changes.some((c) => c.row.id === "a"));
    const [claim] = await other.claim({ workerId: "w", queues: "*", excludeQueues: [], limit: 1, leaseMs: 60_000 });
    await other.settle([{ id: claim!.row.id, token: claim!.token, kind: "succeeded", value: 1 }]);
    await feed.until(() => feed.changes.some((c) => c.row.id === "before" && c.kind === "finished"));
    await other.enqueue(newRow({ id: "b" }));
    await feed.until(() => feed.changes.some((c) => c.row.id === "b"));
    feed.off();
    const seen = feed.changes.map((c) => `${c.row.id}:${c.row.status}`);
    // The claim and the settle may land in one poll: then only the finished state is reported.
    expect(seen.filter((s) => s !== "before:RUNNING")).toEqual(["a:READY", "before:SUCCESSFUL", "b:READY"]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("catches up with changes larger than one read, and counts finished rows exactly", async () => {
    const [mine, other] = await twoStores();
    const ids = Array.from({ length: 1200 }, (_, i) => `r${i}`);
    for (const id of ids) await other.enqueue(newRow({ id }));
    const feed = follow(mine);
    await feed.primed;
    // A claim changes up to 500 rows in one statement, at one changedAt: a read of the feed (500
    // rows at most) is full of that one millisecond, and the feed must still move past it.
    const request = { workerId: "w", queues: "*", excludeQueues: [], limit: 500, leaseMs: 60_000 } as const;
    const first = await other.claim(request);
    const started = () => new Set(feed.changes.filter((c) => c.kind === "started").map((c) => c.row.id));
    await feed.until(() => started().size === first.length);
    await other.enqueue(newRow({ id: "after" }));
    await feed.until(() => feed.changes.some((c) => c.row.id === "after"));
    await other.settle(first.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: null })));
    for (;;) {
      const claims = await other.claim({ workerId: "w", queues: "*", excludeQueues: [], limit: 500, leaseMs: 60_000 });
      if (claims.length === 0) break;
      await other.settle(
        claims.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: null })),
      );
    }
    const finished = () => new Set(feed.changes.filter((c) => c.kind === "finished").map((c) => c.row.id));
    await feed.until(() => finished().size === ids.length + 1);
    feed.off();
    const stats = await feed.source.stats(5);
    expect(stats.minutes.reduce((n, m) => n + m.succeeded, 0)).toBe(1201);
    expect(stats.waitMs.p50).not.toBeNull();
    expect((await feed.source.counts()).total).toEqual({ READY: 0, RUNNING: 0, SUCCESSFUL: 1201, FAILED: 0 });
  }, 60_000);
});
