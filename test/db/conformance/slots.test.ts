/**
 * Schedule slots: `enqueueSlot` writes a slot under its unique key together with its task's row, so
 * every slot is enqueued once whatever the number of processes; `lastSlot` reads the latest.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnStoreChild } from "../support/child.ts";
import { DAY, newRow } from "../support/rows.ts";
import { type StoreHarness, stores } from "../support/stores.ts";

const T0 = Date.parse("2026-03-29T00:00:00Z");
const MINUTE = 60_000;

async function total(store: { counts(): Promise<ReadonlyArray<{ count: number }>> }): Promise<number> {
  return (await store.counts()).reduce((n, c) => n + c.count, 0);
}

describe.each(stores)("$dialect store: schedule slots", (dialect) => {
  let h: StoreHarness;
  beforeAll(async () => {
    h = await dialect.setup();
  });
  afterAll(() => h.cleanup());

  it("enqueues a slot's task READY with its slot, and records the slot as the schedule's last", async () => {
    const store = await h.fresh();
    expect(await store.lastSlot("nightly")).toBeNull();
    const fields = newRow({ args: ["daily"], queueName: "reports", priority: 5 });
    const row = await store.enqueueSlot({ scheduleName: "nightly", slotAt: T0 }, fields);
    expect(row).toMatchObject({ id: fields.id, status: "READY", args: ["daily"], priority: 5, scheduledAt: T0 });
    expect(await store.get(fields.id)).toEqual(row);
    expect(await store.lastSlot("nightly")).toBe(T0);
    // A plain enqueue belongs to no slot.
    expect((await store.enqueue(newRow()))?.scheduledAt).toBeNull();
  });

  it("writes nothing for a slot already recorded, or one older than the last", async () => {
    const store = await h.fresh();
    expect(await store.enqueueSlot({ scheduleName: "s", slotAt: T0 + MINUTE }, newRow())).not.toBeNull();
    const again = newRow();
    expect(await store.enqueueSlot({ scheduleName: "s", slotAt: T0 + MINUTE }, again)).toBeNull();
    const older = newRow();
    expect(await store.enqueueSlot({ scheduleName: "s", slotAt: T0 }, older)).toBeNull();
    expect(await store.get(again.id)).toBeNull();
    expect(await store.get(older.id)).toBeNull();
    expect(await total(store)).toBe(1);
    expect(await store.lastSlot("s")).toBe(T0 + MINUTE);
    // A later slot, and the same slot of another schedule, are slots of their own.
    expect(await store.enqueueSlot({ scheduleName: "s", slotAt: T0 + 2 * MINUTE }, newRow())).not.toBeNull();
    expect(await store.enqueueSlot({ scheduleName: "other", slotAt: T0 + MINUTE }, newRow())).not.toBeNull();
    expect(await store.lastSlot("s")).toBe(T0 + 2 * MINUTE);
    expect(await store.lastSlot("other")).toBe(T0 + MINUTE);
    expect(await total(store)).toBe(3);
  });

  it("leaves neither the slot nor the task when the task's row cannot be written", async () => {
    const store = await h.fresh();
    // The priority CHECK refuses the task row after the slot row was inserted in the same transaction.
    await expect(store.enqueueSlot({ scheduleName: "s", slotAt: T0 }, newRow({ priority: 101 }))).rejects.toMatchObject(
      { code: "TASKLANE_DATABASE" },
    );
    expect(await store.lastSlot("s")).toBeNull();
    expect(await total(store)).toBe(0);
    expect(await store.enqueueSlot({ scheduleName: "s", slotAt: T0 }, newRow())).not.toBeNull();
    expect(await store.lastSlot("s")).toBe(T0);
  });

  it("three processes racing over the same 200 slots of two schedules enqueue each exactly once", {
    timeout: 120_000,
  }, async () => {
    const url = await h.freshUrl();
    const store = await h.open(url);
    await store.migrate();
    const children = [0, 1, 2].map(() => spawnStoreChild(["slots", url, "a,b", String(T0), String(MINUTE), "100"]));
    await Promise.all(children.map((c) => c.next("ready")));
    for (const c of children) c.send("go");
    await Promise.all(children.map((c) => c.exited));
    const won = children.flatMap((c) => c.lines.find((l) => l.event === "done")!.won as string[]);
    expect(won).toHaveLength(200);
    expect(new Set(won).size).toBe(200);
    expect(await total(store)).toBe(200);
    expect(await store.lastSlot("a")).toBe(T0 + 99 * MINUTE);
  });

  it("prunes slot records by age, never a schedule's latest, which still refuses every earlier slot", async () => {
    const store = await h.fresh();
    for (let i = 0; i < 3; i++) await store.enqueueSlot({ scheduleName: "s", slotAt: T0 + i * MINUTE }, newRow());
    await store.enqueueSlot({ scheduleName: "other", slotAt: T0 }, newRow());
    // Recorded just now: nothing is a day old.
    expect(await store.pruneSlots({ minAgeMs: DAY, dryRun: false })).toBe(0);
    expect(await store.pruneSlots({ minAgeMs: 0, dryRun: true })).toBe(2);
    expect(await store.pruneSlots({ minAgeMs: 0, dryRun: false })).toBe(2);
    expect(await store.pruneSlots({ minAgeMs: 0, dryRun: false })).toBe(0);
    expect(await store.lastSlot("s")).toBe(T0 + 2 * MINUTE);
    expect(await store.lastSlot("other")).toBe(T0);
    // The pruned slots stay taken: the latest refuses them, as it refuses itself.
    for (let i = 0; i < 3; i++) {
      expect(await store.enqueueSlot({ scheduleName: "s", slotAt: T0 + i * MINUTE }, newRow()), `slot ${i}`).toBeNull();
    }
    expect(await store.enqueueSlot({ scheduleName: "other", slotAt: T0 }, newRow())).toBeNull();
    expect(await store.enqueueSlot({ scheduleName: "s", slotAt: T0 + 3 * MINUTE }, newRow())).not.toBeNull();
    expect(await total(store)).toBe(5);
  });

  // 1,100 slots one by one: on PostgreSQL each is a round trip.
  it("prunes more slot records than one batch holds", { timeout: 120_000 }, async () => {
    const store = await h.fresh();
    const N = 1100;
    for (let i = 0; i < N; i++) await store.enqueueSlot({ scheduleName: "s", slotAt: T0 + i * MINUTE }, newRow());
    expect(await store.pruneSlots({ minAgeMs: 0, dryRun: false })).toBe(N - 1);
    expect(await store.lastSlot("s")).toBe(T0 + (N - 1) * MINUTE);
  });
});
