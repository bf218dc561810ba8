/**
 * Schedules on the real backends: the task a slot enqueues runs (inline, on a worker thread, in a
 * child process) and knows its slot through `context.scheduledAt`, on every attempt; and a process
 * whose only work is a started schedule exits on its own, because the runner's timer is unref'd.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  ManualClock,
  type ScheduleRunner,
  schedule,
  startSchedules,
  type TaskResult,
  taskEvents,
} from "../../src/index.ts";
import { root } from "../cli/helpers.ts";
import { flakySlot, slotOf } from "../fixtures/schedules/tasks.ts";

let runner: ScheduleRunner | null = null;

afterEach(async () => {
  await runner?.stop();
  runner = null;
  await closeAll();
});

/** Resolves with the first `n` finished results. */
function finished(n: number): Promise<TaskResult[]> {
  const results: TaskResult[] = [];
  return new Promise((resolve) => {
    const off = taskEvents.on("taskFinished", (result) => {
      results.push(result);
      if (results.length === n) {
        off();
        resolve(results);
      }
    });
  });
}

describe.each(["immediate", "thread-pool", "process-pool"])("on %s", (backend) => {
  it("the task sees its slot as context.scheduledAt and context.taskResult.scheduledAt", async () => {
    configure({
      default: {
        backend,
        schedules: [schedule("hourly", slotOf, { every: "1h", args: ["hourly"] })],
      },
    });
    const clock = new ManualClock("2026-03-28T00:59:00Z");
    const done = finished(2);
    runner = startSchedules({ clock });
    await clock.advanceTo("2026-03-28T02:00:00Z");
    // Two workers may finish them in either order.
    const results = (await done).sort((a, b) => a.scheduledAt!.getTime() - b.scheduledAt!.getTime());
    expect(results.map((r) => r.status)).toEqual(["SUCCESSFUL", "SUCCESSFUL"]);
    expect(results.map((r) => r.returnValue)).toEqual([
      {
        label: "hourly",
        scheduledAt: "2026-03-28T01:00:00.000Z",
        resultScheduledAt: "2026-03-28T01:00:00.000Z",
        attempt: 1,
      },
      {
        label: "hourly",
        scheduledAt: "2026-03-28T02:00:00.000Z",
        resultScheduledAt: "2026-03-28T02:00:00.000Z",
        attempt: 1,
      },
    ]);
    expect(results[0]!.scheduledAt?.toISOString()).toBe("2026-03-28T01:00:00.000Z");
  });

  it("a retry of a scheduled run sees the same slot", async () => {
    configure({
      default: {
        backend,
        schedules: [schedule("retried", flakySlot, { cron: "30 2 * * *", timeZone: "Europe/Berlin" })],
      },
    });
    const clock = new ManualClock("2026-03-29T00:00:00Z");
    const done = finished(1);
    runner = startSchedules({ clock });
    await clock.advanceTo("2026-03-29T02:00:00Z");
    const [result] = await done;
    expect(result!.returnValue).toEqual({ scheduledAt: "2026-03-29T01:00:00.000Z", attempt: 2 });
    expect(result!.attempts).toBe(2);
  });

  it("a task enqueued by hand has no slot", async () => {
    configure({ default: { backend } });
    const result = await (await slotOf.enqueue("by hand")).wait({ timeoutMs: 20_000 });
    expect(result.returnValue).toEqual({ label: "by hand", scheduledAt: null, resultScheduledAt: null, attempt: 1 });
    expect(result.scheduledAt).toBeNull();
    expect(result.toJSON()).not.toHaveProperty("scheduledAt");
  });
});

describe("the runner's timer does not keep Node alive", () => {
  it("a process whose only work is a started schedule exits by itself, with code 0", async () => {
    const script = join(root, "test", "fixtures", "schedules", "only-a-schedule.ts");
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    // The failure guard: a process held open by the timer would run for an hour.
    const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on("exit", (c, s) => resolve([c, s])),
    );
    clearTimeout(deadline);
    expect({ code, signal, output }).toEqual({ code: 0, signal: null, output: "schedules started: hourly\n" });
  });
});
