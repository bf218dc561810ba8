/**
 * Several real processes on one database at once: claiming, reaping and first-time migration.
 * Each child opens its store and reports "ready"; the test then cues them all together.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StoreChild, spawnStoreChild } from "../support/child.ts";
import { claimRequest, enqueueAll, newRow } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

/** The ids a child reported in its `event` lines. */
function reported(child: StoreChild, event: string): string[] {
  return child.lines.filter((l) => l.event === event).flatMap((l) => l.ids as string[]);
}

async function startTogether(children: StoreChild[]): Promise<void> {
  await Promise.all(children.map((c) => c.next("ready")));
  for (const c of children) c.send("go");
}

describe.each(stores)("$dialect store: several processes", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  it("claims 2,000 rows from four processes: each exactly once, none left", { timeout: 120_000 }, async () => {
    const url = await h.freshUrl();
    const store = await h.open(url);
    const rows = Array.from({ length: 2000 }, (_, i) => newRow({ priority: (i % 7) - 3, queueName: `q${i % 3}` }));
    await enqueueAll(store, rows);
    const limits = [1, 4, 10, 25];
    const children = limits.map((limit, i) => spawnStoreChild(["claim-all", url, `worker-${i}`, String(limit)]));
    await startTogether(children);
    await Promise.all(children.map((c) => c.exited));

    const claimed = children.flatMap((c) => reported(c, "claimed"));
    expect(claimed.length).toBe(2000);
    expect(new Set(claimed)).toEqual(new Set(rows.map((r) => r.id)));
    // Every settlement was recorded, by the worker that claimed it.
    expect(children.flatMap((c) => c.lines.flatMap((l) => (l.recorded as boolean[] | undefined) ?? []))).not.toContain(
      false,
    );
    const counts = await store.counts();
    expect(counts.every((c) => c.status === "SUCCESSFUL")).toBe(true);
    expect(counts.reduce((n, c) => n + c.count, 0)).toBe(2000);
    const sample = await store.get(rows[0]!.id);
    expect(sample?.workerIds).toHaveLength(1);
    expect(sample?.returnValue).toBe(sample?.workerIds[0]);
  });

  it("lets two reapers run at once without both taking a row", { timeout: 120_000 }, async () => {
    const url = await h.freshUrl();
    const store = await h.open(url);
    const rows = Array.from({ length: 200 }, () => newRow());
    await enqueueAll(store, rows);
    const claims = await store.claim(claimRequest({ workerId: "dead", limit: 200, leaseMs: 0 }));
    expect(claims).toHaveLength(200);
    const reapers = ["reaper-a", "reaper-b"].map((id) => spawnStoreChild(["reap-all", url, id]));
    await startTogether(reapers);
    await Promise.all(reapers.map((c) => c.exited));
    const [a, b] = reapers.map((c) => reported(c, "reaped")) as [string[], string[]];
    expect(a.length + b.length).toBe(200);
    expect(new Set([...a, ...b]).size).toBe(200);
    const row = (await store.get(rows[0]!.id))!;
    expect(row.workerIds).toEqual(["dead"]);
    expect(["reaper-a", "reaper-b"]).toContain(row.lockedBy);
  });

  it("migrates a fresh database opened by four processes at the same moment", { timeout: 120_000 }, async () => {
    const children = Array.from({ length: 4 }, () => spawnStoreChild(["open-each"]));
    await Promise.all(children.map((c) => c.next("ready")));
    for (let round = 0; round < 8; round++) {
      const url = await h.freshUrl();
      for (const c of children) c.send(url);
      const results = await Promise.all(children.map((c) => c.next("opened")));
      expect(results, `round ${round}`).toEqual(children.map(() => ({ event: "opened", url, ok: true })));
      const store = await h.open(url);
      expect((await store.counts()).reduce((n, c) => n + c.count, 0)).toBe(4);
    }
    for (const c of children) c.kill();
  });

  it("holds nothing that keeps Node running once a process stops using it", { timeout: 60_000 }, async () => {
    const url = await h.freshUrl();
    const child = spawnStoreChild(["use-and-leave", url]);
    // The child never closes its store: it exits only if the store left no ref'd handle behind.
    expect(await child.exited).toBe(0);
    expect(child.lines.map((l) => l.event)).toEqual(["used"]);
    const store = await h.open(url);
    expect((await store.get(child.lines[0]!.id as string))?.status).toBe("RUNNING");
  });
});
