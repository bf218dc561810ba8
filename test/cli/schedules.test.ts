/**
 * `tasklane schedules`: the configured schedules, their next runs in their zone and in UTC, and the
 * last slot (in-memory backends keep none across processes); refusals of bad declarations in a
 * config file, naming the file, the schedule and the field.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixtures, stdoutJson, tasklane } from "./helpers.ts";

const configs = join(fixtures, "configs");
const config = join(configs, "schedules.json");
const from = "2026-03-28T12:00:00Z";

describe("tasklane schedules", () => {
  it("lists each schedule with its next runs, in its zone and in UTC", async () => {
    const run = await tasklane(["schedules", "--config", config, "--from", from]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        "nightly-report  (backend 'default')",
        '  task    tasks.ts#greet ["night"]',
        "  when    cron 0 2 * * * in Europe/Berlin; missed slots: latest",
        "  next    2026-03-29 03:00:00 +02:00  (2026-03-29T01:00:00.000Z)",
        "          2026-03-30 02:00:00 +02:00  (2026-03-30T00:00:00.000Z)",
        "          2026-03-31 02:00:00 +02:00  (2026-03-31T00:00:00.000Z)",
        "  last    not tracked across processes (in-memory backend)",
        "",
        "quarter-hour  (backend 'default')",
        "  task    tasks.ts#add [1,2]",
        "  when    every 15m; missed slots: all within 6h",
        "  runs    priority 3, queue reports",
        "  next    2026-03-28 12:15:00 +00:00  (2026-03-28T12:15:00.000Z)",
        "          2026-03-28 12:30:00 +00:00  (2026-03-28T12:30:00.000Z)",
        "          2026-03-28 12:45:00 +00:00  (2026-03-28T12:45:00.000Z)",
        "  last    not tracked across processes (in-memory backend)",
        "",
        "kolkata-morning  (backend 'kolkata')",
        "  task    tasks.ts#nothing",
        "  when    cron 0 9 * * * in Asia/Kolkata; missed slots: skip",
        "  next    2026-03-29 09:00:00 +05:30  (2026-03-29T03:30:00.000Z)",
        "          2026-03-30 09:00:00 +05:30  (2026-03-30T03:30:00.000Z)",
        "          2026-03-31 09:00:00 +05:30  (2026-03-31T03:30:00.000Z)",
        "  last    not tracked across processes (in-memory backend)",
        "",
      ].join("\n"),
    );
  });

  it("--backend keeps one alias, --next sets the count, --json prints data", async () => {
    const run = await tasklane([
      "schedules",
      "--config",
      config,
      "--from",
      from,
      "--backend",
      "kolkata",
      "--next",
      "1",
      "--json",
    ]);
    expect(run.code).toBe(0);
    expect(stdoutJson(run)).toEqual([
      {
        name: "kolkata-morning",
        backend: "kolkata",
        task: "tasks.ts#nothing",
        args: [],
        cron: "0 9 * * *",
        every: null,
        timeZone: "Asia/Kolkata",
        missed: "skip",
        priority: null,
        queueName: null,
        next: [{ local: "2026-03-29 09:00:00 +05:30", utc: "2026-03-29T03:30:00.000Z" }],
        lastSlot: null,
        tracked: false,
      },
    ]);
  });

  it("says so when there is nothing to list", async () => {
    const run = await tasklane(["schedules", "--config", config, "--backend", "plain"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe(`No schedules are configured for backend 'plain' in ${config}.\n`);
    const none = await tasklane(["schedules"]);
    expect(none.stdout).toBe("No schedules are configured in the default configuration (no config file found).\n");
  });

  it("exits 2 naming the file, the schedule and the field for an invalid cron expression", async () => {
    const file = join(configs, "schedules-bad-cron.json");
    const run = await tasklane(["schedules", "--config", file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `tasklane schedules: Invalid config file ${file}: Schedule 'nightly-report' of backend 'default': ` +
        "cron '61 * * * *' is invalid: Invalid value for minute: 61.\n",
    );
  });

  it("exits 2 naming the schedule when its task is not an export of its module", async () => {
    const file = join(configs, "schedules-bad-task.json");
    const run = await tasklane(["schedules", "--config", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `tasklane schedules: Invalid config file ${file}: schedule 'nightly-report' of 'default': ` +
        `Task module ${join(fixtures, "tasks.ts")} has no export 'report'.`,
    );
  });

  it("tasklane run accepts a config with schedules, their task module paths resolved", async () => {
    const run = await tasklane(["run", "-q", "tasks.ts#add", "2", "3", "--config", config]);
    expect(run).toEqual({ code: 0, signal: null, stdout: "5\n", stderr: "" });
  });

  it("exits 2 for an unknown alias or a bad --from / --next", async () => {
    const alias = await tasklane(["schedules", "--config", config, "--backend", "nope"]);
    expect(alias.code).toBe(2);
    expect(alias.stderr).toContain(`Unknown backend alias 'nope': ${config} configures default, kolkata, plain.`);
    const time = await tasklane(["schedules", "--config", config, "--from", "tomorrow"]);
    expect(time.code).toBe(2);
    expect(time.stderr).toContain("Not a date and time (ISO 8601, e.g. 2026-03-29T00:00:00Z).");
    const count = await tasklane(["schedules", "--config", config, "--next", "0"]);
    expect(count.code).toBe(2);
    expect(count.stderr).toContain("Not a whole number from 1 to 100.");
  });
});
