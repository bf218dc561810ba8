/**
 * Slot arithmetic across DST changes and time zones. Every expected instant is written in UTC, with
 * the local wall time it stands for beside it, so a reader can check each line against a calendar.
 * Europe/Berlin changes on 2026-03-29 (02:00 CET → 03:00 CEST) and 2026-10-25 (03:00 CEST → 02:00
 * CET); America/New_York on 2026-03-08 and 2026-11-01; Asia/Kolkata (UTC+05:30) never.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dueSlots,
  latestSlot,
  nextSlot,
  type Schedule,
  type ScheduleOptions,
  schedule,
  slotsBetween,
} from "../../src/index.ts";
import { report } from "../fixtures/schedules/tasks.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function make(options: ScheduleOptions): Schedule {
  return schedule("s", report, options);
}

/** The next `n` slots after `from`, as ISO strings. */
function next(s: Schedule, from: string, n: number): string[] {
  return slotsBetween(s, at(from), Number.MAX_SAFE_INTEGER, n).map((ms) => new Date(ms).toISOString());
}

describe("Europe/Berlin, spring forward on 2026-03-29 (02:00–03:00 does not exist)", () => {
  it("a daily 02:30 job runs once that day, at 03:00 CEST, the first valid time after the gap", () => {
    const s = make({ cron: "30 2 * * *", timeZone: "Europe/Berlin" });
    expect(next(s, "2026-03-27T12:00:00Z", 4)).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:00:00.000Z", // 03:00 CEST: 02:30 does not exist
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("the nightly report at 02:00 runs at 03:00 CEST on the day of the change", () => {
    const s = make({ cron: "0 2 * * *", timeZone: "Europe/Berlin" });
    expect(next(s, "2026-03-28T02:00:00Z", 2)).toEqual([
      "2026-03-29T01:00:00.000Z", // 03:00 CEST
      "2026-03-30T00:00:00.000Z", // 02:00 CEST
    ]);
  });

  it("an interval job skips the wall-clock times that do not exist", () => {
    const s = make({ cron: "0,30 2 * * *", timeZone: "Europe/Berlin" });
    expect(next(s, "2026-03-28T00:00:00Z", 4)).toEqual([
      "2026-03-28T01:00:00.000Z", // 02:00 CET
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-30T00:00:00.000Z", // 02:00 CEST: nothing on the 29th
      "2026-03-30T00:30:00.000Z",
    ]);
  });

  it("an hourly job has 23 slots on the short day", () => {
    const s = make({ cron: "0 * * * *", timeZone: "Europe/Berlin" });
    const day = slotsBetween(s, at("2026-03-28T23:00:00Z") - 1, at("2026-03-29T22:00:00Z") - 1, 100);
    expect(day).toHaveLength(23);
  });
});

describe("Europe/Berlin, fall back on 2026-10-25 (02:00–03:00 happens twice)", () => {
  it("a daily 02:30 job runs once, at the first 02:30 (CEST), not again at 02:30 CET", () => {
    const s = make({ cron: "30 2 * * *", timeZone: "Europe/Berlin" });
    expect(next(s, "2026-10-23T12:00:00Z", 4)).toEqual([
      "2026-10-24T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T00:30:00.000Z", // 02:30 CEST, the first of the two; 01:30Z (02:30 CET) is not a slot
      "2026-10-26T01:30:00.000Z", // 02:30 CET
      "2026-10-27T01:30:00.000Z",
    ]);
  });

  it("an interval job runs on both passes of the repeated hour", () => {
    const s = make({ cron: "0,30 2 * * *", timeZone: "Europe/Berlin" });
    expect(next(s, "2026-10-24T23:00:00Z", 5)).toEqual([
      "2026-10-25T00:00:00.000Z", // 02:00 CEST
      "2026-10-25T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T01:00:00.000Z", // 02:00 CET
      "2026-10-25T01:30:00.000Z", // 02:30 CET
      "2026-10-26T01:00:00.000Z",
    ]);
  });

  it("an hourly job has 25 slots on the long day", () => {
    const s = make({ cron: "0 * * * *", timeZone: "Europe/Berlin" });
    const day = slotsBetween(s, at("2026-10-24T22:00:00Z") - 1, at("2026-10-25T23:00:00Z") - 1, 100);
    expect(day).toHaveLength(25);
  });
});

describe("America/New_York", () => {
  it("a weekday 09:00 job follows the spring change on 2026-03-08 (EST → EDT)", () => {
    const s = make({ cron: "0 9 * * 1-5", timeZone: "America/New_York" });
    expect(next(s, "2026-03-06T00:00:00Z", 3)).toEqual([
      "2026-03-06T14:00:00.000Z", // Friday 09:00 EST
      "2026-03-09T13:00:00.000Z", // Monday 09:00 EDT
      "2026-03-10T13:00:00.000Z",
    ]);
  });

  it("a 02:30 job runs at 03:00 EDT on 2026-03-08, where 02:30 does not exist", () => {
    const s = make({ cron: "30 2 * * *", timeZone: "America/New_York" });
    expect(next(s, "2026-03-07T12:00:00Z", 3)).toEqual([
      "2026-03-08T07:00:00.000Z", // 03:00 EDT
      "2026-03-09T06:30:00.000Z", // 02:30 EDT
      "2026-03-10T06:30:00.000Z",
    ]);
  });

  it("a 01:30 job runs once on 2026-11-01, where 01:30 happens twice", () => {
    const s = make({ cron: "30 1 * * *", timeZone: "America/New_York" });
    expect(next(s, "2026-10-31T12:00:00Z", 2)).toEqual([
      "2026-11-01T05:30:00.000Z", // 01:30 EDT; 06:30Z (01:30 EST) is not a slot
      "2026-11-02T06:30:00.000Z", // 01:30 EST
    ]);
  });
});

describe("UTC and Asia/Kolkata", () => {
  it("UTC is the default zone and has no DST", () => {
    const s = make({ cron: "30 2 * * *" });
    expect(s.timeZone).toBe("UTC");
    expect(next(s, "2026-03-28T12:00:00Z", 2)).toEqual(["2026-03-29T02:30:00.000Z", "2026-03-30T02:30:00.000Z"]);
    expect(next(s, "2026-10-24T12:00:00Z", 2)).toEqual(["2026-10-25T02:30:00.000Z", "2026-10-26T02:30:00.000Z"]);
  });

  it("Kolkata's half-hour offset: 09:00 IST is 03:30 UTC, and :30 IST is on the UTC hour", () => {
    const daily = make({ cron: "0 9 * * *", timeZone: "Asia/Kolkata" });
    expect(next(daily, "2026-03-28T12:00:00Z", 2)).toEqual(["2026-03-29T03:30:00.000Z", "2026-03-30T03:30:00.000Z"]);
    const hourly = make({ cron: "30 * * * *", timeZone: "Asia/Kolkata" });
    expect(next(hourly, "2026-03-28T12:10:00Z", 2)).toEqual(["2026-03-28T13:00:00.000Z", "2026-03-28T14:00:00.000Z"]);
  });

  it("a day-of-month job reads the date in its zone: midnight of the 1st in Kolkata is the 30th/31st in UTC", () => {
    const s = make({ cron: "0 0 1 * *", timeZone: "Asia/Kolkata" });
    expect(next(s, "2026-03-15T00:00:00Z", 2)).toEqual(["2026-03-31T18:30:00.000Z", "2026-04-30T18:30:00.000Z"]);
  });
});

describe("six fields, nicknames and intervals", () => {
  it("a six-field expression has seconds first", () => {
    const s = make({ cron: "*/15 * * * * *" });
    expect(next(s, "2026-03-28T12:00:07.500Z", 3)).toEqual([
      "2026-03-28T12:00:15.000Z",
      "2026-03-28T12:00:30.000Z",
      "2026-03-28T12:00:45.000Z",
    ]);
  });

  it("nicknames work in the zone given", () => {
    const s = make({ cron: "@daily", timeZone: "Europe/Berlin" });
    expect(next(s, "2026-03-28T12:00:00Z", 2)).toEqual(["2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z"]);
  });

  it("every counts multiples of the interval since the epoch, whatever the zone's DST does", () => {
    const quarter = make({ every: "15m" });
    expect(quarter.every).toBe(900_000);
    expect(next(quarter, "2026-10-25T00:52:10Z", 3)).toEqual([
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T01:15:00.000Z",
      "2026-10-25T01:30:00.000Z",
    ]);
    const odd = make({ every: 7 * 60_000 });
    const first = nextSlot(odd, at("2026-03-28T12:00:00Z"));
    expect(first! % (7 * 60_000)).toBe(0);
    expect(nextSlot(odd, first!)).toBe(first! + 7 * 60_000);
  });

  it("a slot is strictly after `after` and latestSlot is at or before `at`", () => {
    const s = make({ cron: "0 2 * * *", timeZone: "Europe/Berlin" });
    const slot = at("2026-03-28T01:00:00Z");
    expect(iso(nextSlot(s, slot - 1))).toBe("2026-03-28T01:00:00.000Z");
    expect(iso(nextSlot(s, slot))).toBe("2026-03-29T01:00:00.000Z");
    expect(iso(latestSlot(s, slot))).toBe("2026-03-28T01:00:00.000Z");
    expect(iso(latestSlot(s, slot - 1))).toBe("2026-03-27T01:00:00.000Z");
    const hourly = make({ every: "1h" });
    expect(nextSlot(hourly, at("2026-03-28T01:00:00Z"))).toBe(at("2026-03-28T02:00:00Z"));
    expect(latestSlot(hourly, at("2026-03-28T01:00:00Z"))).toBe(at("2026-03-28T01:00:00Z"));
  });
});

describe("latestSlot agrees with nextSlot (dueSlots relies on it), across DST changes", () => {
  const patterns = ["30 2 * * *", "0,30 2 * * *", "0 * * * *", "*/15 * * * *", "0 3 * * 0", "*/7 * * * * *", "@daily"];
  const zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Lord_Howe"];
  const changes = ["2026-03-08T00:00:00Z", "2026-03-29T00:00:00Z", "2026-04-05T00:00:00Z", "2026-10-25T00:00:00Z"];

  it("for random instants within 36 h of a change: latestSlot(t) is the last slot of the forward walk at or before t", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns),
        fc.constantFrom(...zones),
        fc.constantFrom(...changes),
        fc.integer({ min: -36 * 3_600_000, max: 36 * 3_600_000 }),
        (cron, timeZone, change, offset) => {
          const s = make({ cron, timeZone });
          const t = at(change) + offset;
          const latest = latestSlot(s, t);
          expect(latest).not.toBeNull();
          expect(latest!).toBeLessThanOrEqual(t);
          // Nothing lies between the latest slot and t, and the forward walk finds the latest slot.
          expect(nextSlot(s, latest!)! > t).toBe(true);
          expect(nextSlot(s, latest! - 1)).toBe(latest);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("dueSlots: the missed policies after a gap", () => {
  const hour = 3_600_000;
  const t0 = at("2026-03-28T00:00:00Z");
  const hourly = (missed?: ScheduleOptions["missed"]) =>
    make(missed === undefined ? { every: "1h" } : { every: "1h", missed });

  it("on time, every policy enqueues the one slot due", () => {
    for (const missed of ["latest", "skip", { all: true, within: "3h" }] as const) {
      expect(dueSlots(hourly(missed), t0, t0 + hour + 20)).toEqual([t0 + hour]);
    }
  });

  it("nothing is due before the next slot, nor at or before `since`", () => {
    expect(dueSlots(hourly(), t0, t0 + hour - 1)).toEqual([]);
    expect(dueSlots(hourly(), t0 + 5 * hour, t0 + 2 * hour)).toEqual([]);
  });

  it('"latest" (the default) runs the latest missed slot once, however late', () => {
    expect(hourly().missed).toBe("latest");
    expect(dueSlots(hourly(), t0, t0 + 5 * hour + 10 * 60_000)).toEqual([t0 + 5 * hour]);
  });

  it('"skip" runs nothing missed; a slot less than a minute late is on time', () => {
    expect(dueSlots(hourly("skip"), t0, t0 + 5 * hour + 10 * 60_000)).toEqual([]);
    expect(dueSlots(hourly("skip"), t0, t0 + 5 * hour + 30_000)).toEqual([t0 + 5 * hour]);
    expect(dueSlots(hourly("skip"), t0, t0 + 5 * hour + 30_000, { onTimeMs: 10_000 })).toEqual([]);
  });

  it("{ all: true, within } runs every missed slot within the bound, oldest first", () => {
    const now = t0 + 5 * hour + 10 * 60_000;
    expect(dueSlots(hourly({ all: true, within: "3h" }), t0, now)).toEqual([
      t0 + 3 * hour,
      t0 + 4 * hour,
      t0 + 5 * hour,
    ]);
    expect(dueSlots(hourly({ all: true, within: "1d" }), t0, now)).toEqual([1, 2, 3, 4, 5].map((h) => t0 + h * hour));
    // A bound shorter than "on time" still runs the on-time slot.
    expect(dueSlots(hourly({ all: true, within: 1000 }), t0, t0 + 5 * hour + 30_000)).toEqual([t0 + 5 * hour]);
  });

  it("{ all: true } hands out at most `limit` slots at a time, the oldest", () => {
    const everySecond = make({ every: 1000, missed: { all: true, within: "1d" } });
    const due = dueSlots(everySecond, t0, t0 + 3 * hour, { limit: 500 });
    expect(due).toHaveLength(500);
    expect(due[0]).toBe(t0 + 1000);
    expect(dueSlots(everySecond, due.at(-1)!, t0 + 3 * hour, { limit: 500 })[0]).toBe(due.at(-1)! + 1000);
  });

  it("a cron schedule after a gap across the Berlin spring change", () => {
    const nightly = make({ cron: "0 2 * * *", timeZone: "Europe/Berlin", missed: { all: true, within: "7d" } });
    const since = at("2026-03-27T01:00:00Z");
    const now = at("2026-03-30T09:00:00Z");
    expect(dueSlots(nightly, since, now).map(iso)).toEqual([
      "2026-03-28T01:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:00:00.000Z",
    ]);
    const latest = make({ cron: "0 2 * * *", timeZone: "Europe/Berlin" });
    expect(dueSlots(latest, since, now).map(iso)).toEqual(["2026-03-30T00:00:00.000Z"]);
  });
});
