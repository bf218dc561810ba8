/**
 * The model test of the ledger seam: several runners sharing one ledger and one ManualClock, started
 * and stopped at random while time moves in random steps across the Berlin fall-back night, all
 * enqueueing through the real dummy backend. Whatever the interleaving, every slot is enqueued at
 * most once and in order; with `{ all: true }` none is lost; with "latest" the schedule ends on its
 * latest slot.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  type DummyBackend,
  getBackend,
  latestSlot,
  ManualClock,
  MemorySlotLedger,
  type Schedule,
  ScheduleRunner,
  schedule,
  slotsBetween,
} from "../../src/index.ts";
import { report } from "../fixtures/schedules/tasks.ts";

const start = Date.parse("2026-10-24T22:00:00Z");
// Each schedule's args are its name, so the results can be told apart.
const declare = (name: string, options: Omit<Parameters<typeof schedule>[2], "args">) =>
  schedule(name, report, { ...options, args: [name] });
const schedules: Schedule[] = [
  declare("minutely-all", { every: "1m", missed: { all: true, within: "1d" } }),
  declare("berlin-5min-latest", { cron: "*/5 * * * *", timeZone: "Europe/Berlin" }),
  declare("berlin-0230-all", { cron: "30 2 * * *", timeZone: "Europe/Berlin", missed: { all: true, within: "2d" } }),
  declare("hourly-skip", { cron: "0 * * * *", missed: "skip" }),
  declare("seconds-all", { cron: "*/20 * * * * *", missed: { all: true, within: "1d" } }),
];

type Step = { kind: "advance"; ms: number } | { kind: "stop"; runner: number } | { kind: "start"; runner: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 60 * 60_000 }).map((ms) => ({ kind: "advance" as const, ms })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((runner) => ({ kind: "stop" as const, runner })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((runner) => ({ kind: "start" as const, runner })) },
);

beforeAll(() => {
  configure({ default: { backend: "dummy", queues: [], schedules } });
});

afterAll(async () => {
  await closeAll();
});

describe("several runners sharing one ledger", () => {
  it("enqueue every slot exactly once, whatever the runners and the clock do", async () => {
    const backend = getBackend() as DummyBackend;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        backend.clear();
        const clock = new ManualClock(start);
        const ledger = new MemorySlotLedger();
        const on = schedules.map((s) => ({ alias: "default", schedule: s, ledger }));
        const running: (ScheduleRunner | null)[] = [null, null, null];
        const startRunner = (i: number) => {
          running[i] ??= new ScheduleRunner({ schedules: on, clock, onError: (e) => expect.fail(String(e)) }).start();
        };
        startRunner(0);
        for (const s of steps) {
          if (s.kind === "advance") await clock.advance(s.ms);
          else if (s.kind === "start") startRunner(s.runner);
          else {
            await running[s.runner]?.stop();
            running[s.runner] = null;
          }
        }
        // End with a runner up, its first evaluation done.
        if (running.every((r) => r === null)) startRunner(0);
        await clock.advance(0);
        const end = clock.now();
        await Promise.all(running.map((r) => r?.stop()));

        const bySchedule = new Map<string, number[]>(schedules.map((s) => [s.name, []]));
        for (const r of backend.results) bySchedule.get(String(r.args[0]))!.push(r.scheduledAt!.getTime());
        for (const s of schedules) {
          const slots = bySchedule.get(s.name)!;
          // At most once, and in order: strictly increasing.
          for (let i = 1; i < slots.length; i++) expect(slots[i]!).toBeGreaterThan(slots[i - 1]!);
          if (slots.length === 0) continue;
          if (typeof s.missed === "object") {
            // None lost after the first: the gaps are shorter than the bound.
            expect(slots).toEqual(slotsBetween(s, slots[0]! - 1, end, 100_000));
          } else if (s.missed === "latest") {
            expect(slots.at(-1)).toBe(latestSlot(s, end));
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
