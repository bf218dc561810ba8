/**
 * The in-process runner, driven by a ManualClock over the dummy backend (which stores what was
 * enqueued and runs nothing): which slots it enqueues, with what, and when; the missed policies after
 * every runner was down; failures; and how it stops.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  DummyBackend,
  getBackend,
  InvalidSchedule,
  ManualClock,
  MemorySlotLedger,
  type MissedPolicy,
  type Schedule,
  type ScheduleRunner,
  type SlotLedger,
  schedule,
  startSchedules,
} from "../../src/index.ts";
import { report, slotOf } from "../fixtures/schedules/tasks.ts";

const hour = 3_600_000;

let runners: ScheduleRunner[] = [];

afterEach(async () => {
  await Promise.all(runners.map((r) => r.stop()));
  runners = [];
  await closeAll();
});

function start(...args: Parameters<typeof startSchedules>): ScheduleRunner {
  const runner = startSchedules(...args);
  runners.push(runner);
  return runner;
}

function dummy(alias = "default"): DummyBackend {
  const backend = getBackend(alias);
  if (!(backend instanceof DummyBackend)) throw new Error(`'${alias}' should be a dummy backend`);
  return backend;
}

/** The slots enqueued on the dummy backend, as ISO strings, in enqueue order. */
function enqueuedSlots(alias = "default"): (string | undefined)[] {
  return dummy(alias).results.map((r) => r.scheduledAt?.toISOString());
}

function configureDummy(...schedules: Schedule[]): void {
  configure({ default: { backend: "dummy", queues: [], schedules } });
}

describe("the nightly report: 02:00 Europe/Berlin, across the spring change", () => {
  it("enqueues one result per night, at the slot's time, with the schedule's args and options", async () => {
    configure({
      default: { backend: "dummy", queues: ["default", "reports"] },
      nightly: {
        backend: "dummy",
        queues: ["default", "reports"],
        schedules: [
          schedule("nightly-report", report, {
            cron: "0 2 * * *",
            timeZone: "Europe/Berlin",
            args: ["daily"],
            priority: 7,
            queueName: "reports",
          }),
        ],
      },
    });
    const clock = new ManualClock("2026-03-27T12:00:00Z");
    start({ clock });
    await clock.advanceTo("2026-03-30T12:00:00Z");
    expect(enqueuedSlots("nightly")).toEqual([
      "2026-03-28T01:00:00.000Z", // 02:00 CET
      "2026-03-29T01:00:00.000Z", // 03:00 CEST (02:00 does not exist that night)
      "2026-03-30T00:00:00.000Z", // 02:00 CEST
    ]);
    const [first] = dummy("nightly").results;
    expect(first).toMatchObject({ args: ["daily"], backend: "nightly", status: "READY" });
    expect(first!.task.modulePath).toBe(report.modulePath);
    expect(first!.task).toMatchObject({ priority: 7, queueName: "reports", backend: "nightly" });
    expect(first!.toJSON()).toMatchObject({ scheduledAt: "2026-03-28T01:00:00.000Z" });
    expect(dummy("default").results).toEqual([]);
  });

  it("holds one timer at a time, and none once stopped", async () => {
    configureDummy(schedule("a", report, { every: "1h" }), schedule("b", report, { cron: "*/10 * * * *" }));
    const clock = new ManualClock("2026-03-28T00:00:30Z");
    const runner = start({ clock });
    await clock.advance(0);
    expect(clock.pending).toBe(1);
    await clock.advance(2 * hour);
    expect(clock.pending).toBe(1);
    expect(dummy().results.map((r) => r.task.name)).toHaveLength(2 + 12);
    await runner.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(2 * hour);
    expect(dummy().results).toHaveLength(14);
  });
});

describe("in memory, slots before the runner started are not its to judge", () => {
  it("a slot that passed before startSchedules() is not run, whatever the policy", async () => {
    for (const missed of ["latest", "skip", { all: true, within: "1d" }] as MissedPolicy[]) {
      configureDummy(schedule("hourly", report, { every: "1h", missed }));
      const clock = new ManualClock("2026-03-28T05:30:00Z");
      const runner = start({ clock });
      await clock.advance(0);
      expect(dummy().results).toEqual([]);
      await clock.advanceTo("2026-03-28T06:00:00Z");
      expect(enqueuedSlots()).toEqual(["2026-03-28T06:00:00.000Z"]);
      await runner.stop();
      await closeAll();
      runners = [];
    }
  });
});

describe("missed slots after every runner was down, by policy (a ledger that outlives the runners)", () => {
  let clock: ManualClock;

  async function gap(missed: MissedPolicy): Promise<(string | undefined)[]> {
    configureDummy(schedule("hourly", report, { every: "1h", missed }));
    const ledger = new MemorySlotLedger();
    clock = new ManualClock("2026-03-28T00:30:00Z");
    const first = start({ clock, ledger });
    await clock.advanceTo("2026-03-28T01:30:00Z"); // 01:00 enqueued
    await first.stop();
    await clock.advanceTo("2026-03-28T06:10:00Z"); // 02:00 … 06:00 pass with nothing running
    start({ clock, ledger });
    await clock.advance(0); // the runner's first evaluation, at start
    return enqueuedSlots();
  }

  it('"latest": the latest missed slot runs once, at once', async () => {
    expect(await gap("latest")).toEqual(["2026-03-28T01:00:00.000Z", "2026-03-28T06:00:00.000Z"]);
  });

  it('"skip": none of them', async () => {
    expect(await gap("skip")).toEqual(["2026-03-28T01:00:00.000Z"]);
  });

  it("{ all: true, within: '3h' }: those of the last three hours, oldest first", async () => {
    expect(await gap({ all: true, within: "3h" })).toEqual([
      "2026-03-28T01:00:00.000Z",
      "2026-03-28T04:00:00.000Z",
      "2026-03-28T05:00:00.000Z",
      "2026-03-28T06:00:00.000Z",
    ]);
  });

  it("after catching up, the schedule goes on as before", async () => {
    expect(await gap({ all: true, within: "1d" })).toHaveLength(6);
    await clock.advanceTo("2026-03-28T08:00:00Z");
    expect(enqueuedSlots().slice(6)).toEqual(["2026-03-28T07:00:00.000Z", "2026-03-28T08:00:00.000Z"]);
  });
});

describe("the ledger is asked only when a slot is due", () => {
  it("no lastSlot() call between slots, one per due slot", async () => {
    const memory = new MemorySlotLedger();
    let asked = 0;
    const counting: SlotLedger = {
      lastSlot(name) {
        asked++;
        return memory.lastSlot(name);
      },
      enqueueSlot: (name, slotAt, enqueue) => memory.enqueueSlot(name, slotAt, enqueue),
    };
    configureDummy(schedule("daily", report, { cron: "0 3 * * *" }));
    const clock = new ManualClock("2026-03-28T00:00:00Z");
    start({ clock, ledger: counting });
    await clock.advance(0);
    expect(asked).toBe(1); // at start, for slots missed before it
    await clock.advanceTo("2026-03-28T02:59:59Z"); // 180 wakes of the one-minute heartbeat
    expect(asked).toBe(1);
    await clock.advanceTo("2026-03-29T02:59:59Z");
    expect(asked).toBe(2);
    expect(enqueuedSlots()).toEqual(["2026-03-28T03:00:00.000Z"]);
  });
});

describe("failures", () => {
  class FlakyBackend extends DummyBackend {
    failures = 1;
    override enqueue(...args: Parameters<DummyBackend["enqueue"]>) {
      if (this.failures-- > 0) return Promise.reject(new Error("storage unavailable"));
      return super.enqueue(...args);
    }
  }

  it("a failed enqueue is reported with its slot and tried again at the next evaluation", async () => {
    configure({
      default: { backend: FlakyBackend, queues: [], schedules: [schedule("hourly", report, { every: "1h" })] },
    });
    const errors: string[] = [];
    const clock = new ManualClock("2026-03-28T00:30:00Z");
    start({
      clock,
      onError: (error, s, slotAt) =>
        errors.push(`${s.name} ${new Date(slotAt!).toISOString()} ${(error as Error).message}`),
    });
    await clock.advanceTo("2026-03-28T01:00:00Z");
    expect(errors).toEqual(["hourly 2026-03-28T01:00:00.000Z storage unavailable"]);
    expect(enqueuedSlots()).toEqual([]);
    await clock.advanceTo("2026-03-28T01:01:00Z"); // the next evaluation, a minute later
    expect(enqueuedSlots()).toEqual(["2026-03-28T01:00:00.000Z"]);
    await clock.advanceTo("2026-03-28T02:00:00Z");
    expect(enqueuedSlots()).toEqual(["2026-03-28T01:00:00.000Z", "2026-03-28T02:00:00.000Z"]);
    expect(errors).toHaveLength(1);
  });

  it("without onError, a process warning names the schedule, the slot and the cause", async () => {
    configure({
      default: { backend: FlakyBackend, queues: [], schedules: [schedule("hourly", report, { every: "1h" })] },
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const clock = new ManualClock("2026-03-28T00:30:00Z");
      start({ clock });
      await clock.advanceTo("2026-03-28T01:00:00Z");
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings).toEqual([
        "tasklane: schedule 'hourly' could not enqueue the slot due 2026-03-28T01:00:00.000Z: storage unavailable",
      ]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});

describe("stopping", () => {
  it("configure() and closeAll() stop the runner: a slot after that is not enqueued", async () => {
    for (const end of ["configure", "closeAll"] as const) {
      configureDummy(schedule("hourly", slotOf, { every: "1h", args: ["x"] }));
      const clock = new ManualClock("2026-03-28T00:30:00Z");
      const runner = start({ clock });
      await clock.advanceTo("2026-03-28T01:00:00Z");
      const backend = dummy();
      expect(backend.results).toHaveLength(1);
      if (end === "configure") configureDummy();
      else await closeAll();
      expect(runner.running).toBe(false);
      await clock.advanceTo("2026-03-28T03:00:00Z");
      expect(backend.results).toHaveLength(1);
      await closeAll();
    }
  });

  it("a slot whose enqueue comes after stop() is not enqueued, and not reported as a failure", async () => {
    configureDummy(schedule("hourly", report, { every: "1h" }));
    const memory = new MemorySlotLedger();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached!: () => void;
    const arrived = new Promise<void>((resolve) => {
      reached = resolve;
    });
    // A ledger that holds the slot between the runner's decision and the enqueue, as a slow database would.
    const slow: SlotLedger = {
      lastSlot: (name) => memory.lastSlot(name),
      async enqueueSlot(name, slotAt, enqueue) {
        reached();
        await held;
        return memory.enqueueSlot(name, slotAt, enqueue);
      },
    };
    const errors: unknown[] = [];
    const clock = new ManualClock("2026-03-28T00:30:00Z");
    const runner = start({ clock, ledger: slow, onError: (error) => errors.push(error) });
    const advancing = clock.advanceTo("2026-03-28T01:00:00Z");
    await arrived;
    const stopped = runner.stop();
    release();
    await Promise.all([advancing, stopped]);
    expect(dummy().results).toEqual([]);
    expect(errors).toEqual([]);
    expect(await memory.lastSlot("hourly")).toBeNull();
  });

  it("a second startSchedules() while one runs is refused; after stop() it is allowed", async () => {
    configureDummy(schedule("hourly", report, { every: "1h" }));
    const clock = new ManualClock("2026-03-28T00:30:00Z");
    const first = start({ clock });
    expect(() => start({ clock })).toThrow(InvalidSchedule);
    expect(() => start({ clock })).toThrow("Schedules already run in this process");
    await first.stop();
    start({ clock });
  });

  it("an alias without schedules is refused by name", () => {
    configure({
      default: { backend: "dummy" },
      other: { backend: "dummy", schedules: [schedule("h", report, { every: "1h" })] },
    });
    expect(() => start({ aliases: ["default"] })).toThrow(
      new InvalidSchedule("Backend alias 'default' has no schedules; configured with schedules: other."),
    );
  });
});
