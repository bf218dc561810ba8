/**
 * Declaring schedules, in code (`schedule()`) and in the configuration (`schedules` on a backend's
 * entry): what is accepted and normalised, and every refusal, at declaration or configuration time,
 * with a message naming the schedule and the field.
 */
import { afterEach, describe, expect, it } from "vitest";
import { configuredSchedules } from "../../src/config.ts";
import {
  closeAll,
  configure,
  InvalidSchedule,
  InvalidTaskBackend,
  type ScheduleDeclaration,
  schedule,
} from "../../src/index.ts";
import { report, slotOf } from "../fixtures/schedules/tasks.ts";

afterEach(async () => {
  await closeAll();
});

/** The message `configure()` refuses one declaration with. */
function refusal(declaration: Partial<ScheduleDeclaration> | Record<string, unknown>): string {
  try {
    configure({ default: { backend: "dummy", schedules: [declaration as ScheduleDeclaration] } });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSchedule);
    return (error as Error).message;
  }
  throw new Error("configure() accepted the declaration");
}

describe("schedule() normalises a declaration", () => {
  it("fills in the defaults", () => {
    const s = schedule("nightly-report", report, { cron: "0 2 * * *" });
    expect(s).toEqual({
      name: "nightly-report",
      task: report,
      args: [],
      cron: "0 2 * * *",
      every: null,
      timeZone: "UTC",
      missed: "latest",
      priority: null,
      queueName: null,
    });
    expect(Object.isFrozen(s)).toBe(true);
  });

  it("reads durations and copies the arguments", () => {
    const args = [{ month: "2026-03" }];
    const s = schedule("x", report, { every: "1h30m", args, missed: { all: true, within: "6h" }, priority: 5 });
    expect(s.every).toBe(5_400_000);
    expect(s.missed).toEqual({ all: true, within: 21_600_000 });
    expect(s.priority).toBe(5);
    args[0]!.month = "changed";
    expect(s.args).toEqual([{ month: "2026-03" }]);
  });

  it("a normalised schedule is itself a valid declaration", () => {
    const s = schedule("x", report, { every: 60_000, missed: { all: true, within: 120_000 } });
    configure({ default: { backend: "dummy", schedules: [s] } });
    expect(configuredSchedules().get("default")).toEqual([s]);
  });
});

describe("refused with the schedule and the field named", () => {
  it("an invalid cron expression", () => {
    expect(() => schedule("nightly-report", report, { cron: "61 * * * *" })).toThrow(
      new InvalidSchedule("Schedule 'nightly-report': cron '61 * * * *' is invalid: Invalid value for minute: 61."),
    );
    expect(() => schedule("n", report, { cron: "* * * *" })).toThrow(/^Schedule 'n': cron '\* \* \* \*' is invalid: /);
    expect(() => schedule("n", report, { cron: "0 0 1 1 * 2027" })).toThrow(/cron '0 0 1 1 \* 2027' is invalid/);
    expect(() => schedule("n", report, { cron: "0 0 30 2 *" })).toThrow(
      "Schedule 'n': cron '0 0 30 2 *' never fires (no date matches it).",
    );
  });

  it("an unknown time zone, or a time zone on an interval", () => {
    expect(() => schedule("n", report, { cron: "0 2 * * *", timeZone: "Europe/Berlim" })).toThrow(
      new InvalidSchedule(
        "Schedule 'n': timeZone \"Europe/Berlim\" is not an IANA time zone this Node knows (e.g. 'Europe/Berlin', 'UTC').",
      ),
    );
    expect(() => schedule("n", report, { every: "1h", timeZone: "Europe/Berlin" })).toThrow(
      "Schedule 'n': timeZone applies to cron schedules only",
    );
  });

  it("neither or both of cron and every; a bad interval", () => {
    expect(() => schedule("n", report, {})).toThrow(
      "Schedule 'n': needs a cron expression (cron) or an interval (every).",
    );
    expect(() => schedule("n", report, { cron: "* * * * *", every: 1000 })).toThrow(
      "Schedule 'n': give either cron or every, not both.",
    );
    expect(() => schedule("n", report, { every: 500 })).toThrow(
      "Schedule 'n': every must be at least 1000 ms (got 500 ms).",
    );
    expect(() => schedule("n", report, { every: "15 minutes" as never })).toThrow(
      `Schedule 'n': every '15 minutes' is not a duration: write whole numbers with units ms, s, m, h, d, e.g. "90s", "15m", "1h30m".`,
    );
    expect(() => schedule("n", report, { every: 1.5 as never })).toThrow(
      "Schedule 'n': every 1.5 is not a whole number of milliseconds.",
    );
  });

  it("arguments that are not JSON, by the JSON rules", () => {
    expect(() => schedule("n", report, { every: "1h", args: [{ when: new Date(0) }] as never })).toThrow(
      new InvalidSchedule("Schedule 'n': args[0].when: Date is not JSON-serializable."),
    );
    expect(() => schedule("n", report, { every: "1h", args: "daily" as never })).toThrow(
      "Schedule 'n': args must be an array of the task's JSON arguments (got \"daily\").",
    );
  });

  it("a bad missed policy", () => {
    const bad = (missed: unknown) => () => schedule("n", report, { every: "1h", missed: missed as never });
    expect(bad("all")).toThrow(
      `Schedule 'n': missed "all" is not a policy; expected "latest", "skip" or { all: true, within: <ms or "6h"> }.`,
    );
    expect(bad({ all: true })).toThrow("Schedule 'n': missed.within is required");
    expect(bad({ all: false, within: 1000 })).toThrow("Schedule 'n': missed.all must be true");
    expect(bad({ all: true, within: "soon" })).toThrow("Schedule 'n': missed.within 'soon' is not a duration");
    expect(bad({ all: true, within: 0 })).toThrow("Schedule 'n': missed.within must be more than 0");
    expect(bad({ all: true, within: 1000, max: 3 })).toThrow("Schedule 'n': missed has unknown key 'max'");
  });

  it("bad run options, an unknown key, a missing name or task", () => {
    expect(() => schedule("n", report, { every: "1h", priority: 101 })).toThrow(
      "Schedule 'n': priority must be a whole number between -100 and 100 (got 101).",
    );
    expect(() => schedule("n", report, { every: "1h", queueName: "" })).toThrow(
      "Schedule 'n': queueName must be a non-empty string (got \"\").",
    );
    expect(() => schedule("n", report, { every: "1h", timezone: "UTC" } as never)).toThrow(
      "Schedule 'n': unknown key 'timezone'; expected one of name, task, cron, every, args, timeZone, missed, priority, queueName.",
    );
    expect(() => schedule("", report, { every: "1h" })).toThrow("A schedule needs a name");
    expect(() => schedule("n", (() => 1) as never, { every: "1h" })).toThrow(
      "Schedule 'n': task must be a task defined with task(import.meta, fn) (got a function).",
    );
  });
});

describe("configure() checks schedules at configuration time", () => {
  it("accepts plain declarations and keeps them per alias", () => {
    configure({
      default: { backend: "dummy", schedules: [{ name: "a", task: report, cron: "0 2 * * *", args: ["daily"] }] },
      other: { backend: "immediate", queues: [], schedules: [schedule("b", slotOf, { every: "1h" })] },
      plain: { backend: "immediate" },
    });
    const all = configuredSchedules();
    expect([...all.keys()]).toEqual(["default", "other"]);
    expect(all.get("default")?.[0]).toMatchObject({ name: "a", args: ["daily"], timeZone: "UTC" });
  });

  it("names the alias of a bad declaration", () => {
    expect(refusal({ name: "nightly-report", task: report, cron: "61 * * * *" })).toBe(
      "Schedule 'nightly-report' of backend 'default': cron '61 * * * *' is invalid: Invalid value for minute: 61.",
    );
  });

  it("a task written as a module path is for configuration files", () => {
    expect(refusal({ name: "r", task: "./tasks.ts#report", every: "1h" })).toContain(
      "Schedule 'r' of backend 'default': task './tasks.ts#report' is a module path; configure() takes the task itself",
    );
  });

  it("refuses a duplicate name, within an alias and across aliases", () => {
    const a = schedule("same", report, { every: "1h" });
    expect(() => configure({ default: { backend: "dummy", schedules: [a, a] } })).toThrow(
      new InvalidSchedule(
        "Schedule 'same' is declared twice under 'default': a schedule's name identifies its slots, so it must be unique.",
      ),
    );
    expect(() =>
      configure({
        default: { backend: "dummy", schedules: [a] },
        other: { backend: "dummy", schedules: [a] },
      }),
    ).toThrow("Schedule 'same' is declared under both 'default' and 'other'");
  });

  it("refuses a queue the backend does not have", () => {
    expect(() =>
      configure({
        default: { backend: "dummy", schedules: [schedule("q", report, { every: "1h", queueName: "reports" })] },
      }),
    ).toThrow("Schedule 'q' of backend 'default': queueName 'reports' is not one of its queues (default).");
    configure({
      default: { backend: "dummy", queues: [], schedules: [schedule("q", report, { every: "1h", queueName: "x" })] },
    });
  });

  it("refuses schedules that are not an array, and an unknown entry key still names schedules", () => {
    expect(() => configure({ default: { backend: "dummy", schedules: {} as never } })).toThrow(
      "Configuration of 'default': schedules must be an array of schedule declarations.",
    );
    expect(() => configure({ default: { backend: "dummy", schedule: [] } as never })).toThrow(
      new InvalidTaskBackend(
        "Configuration of 'default' has unknown key 'schedule'; expected backend, queues, options, schedules.",
      ),
    );
  });

  it("a refused configuration leaves the previous one in place", () => {
    configure({ default: { backend: "dummy", schedules: [schedule("kept", report, { every: "1h" })] } });
    expect(() => refusal({ name: "bad", task: report, cron: "nope" })).not.toThrow();
    expect(
      configuredSchedules()
        .get("default")
        ?.map((s) => s.name),
    ).toEqual(["kept"]);
  });
});
