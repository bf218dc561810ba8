/**
 * The look-ahead under long jobs (issue 9, items 2 and 6): jobs handed ahead into a busy worker's
 * buffer are taken back when its current job outlasts what was expected, so a more urgent job that
 * arrives meanwhile runs first, another worker can run them, and a cancelled one never starts.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pause, within } from "../support/deadline.ts";
import { errorOf, Gate, Harness, type RuntimeKind } from "./harness.ts";

const CONTROL = new URL("../fixtures/hostile/control.ts", import.meta.url).href;
const on = { module: CONTROL };

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool recall (%s)", (runtime) => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  /** Quick jobs one at a time: the lane learns that its jobs are short, so it hands jobs ahead. */
  async function warmUp(h: Harness, task = "noop"): Promise<void> {
    for (let i = 0; i < 30; i++) await h.run(task, [i % 2], on);
  }

  it("starts high, mid1, mid2, low after a 600 ms job, although the lane's jobs were quick (item 6)", async () => {
    const h = new Harness(runtime);
    // Half a millisecond on average (0 and 1 ms by the clock): the lane hands two or three jobs ahead
    // of a running one, as in the run, so the four do not reach the worker as one batch.
    await warmUp(h, "spinFor");
    const long = h.submit("blockMs", [600], on);
    await long.started;
    // The scenario's schedule: the four arrive while the long job holds the only worker.
    await pause(50);
    const plan: [string, number][] = [
      ["low", -10],
      ["mid1", 0],
      ["high", 50],
      ["mid2", 0],
    ];
    const handles = new Map<number, string>();
    for (const [label, priority] of plan) {
      handles.set(h.submit("blockMs", [1], { ...on, priority }).job.key, label);
      await pause(5);
    }
    await h.close();
    const after = h.startOrder().filter((key) => handles.has(key));
    expect(after.map((key) => handles.get(key))).toEqual(["high", "mid1", "mid2", "low"]);
  });

  it("lets another worker run the jobs buffered behind a job that blocks its worker", async () => {
    const h = new Harness(runtime, { default: { maxWorkers: 2 } });
    // Both workers up (two at once), then quick jobs, so that the lane hands jobs ahead.
    await Promise.all([h.run("blockMs", [50], on), h.run("blockMs", [50], on)]);
    await warmUp(h);
    const release = gate.path();
    const file = gate.path();
    // One tick: each worker gets one of the first two, and the quick ones are handed ahead behind them.
    const stuck = h.submit("blockUntilFile", [release], { ...on, priority: 10 });
    const medium = h.submit("blockMs", [300], { ...on, priority: 10 });
    const quick = Array.from({ length: 4 }, (_, i) => h.submit("appendLine", [file, `q${i}`], on));
    const { workerId: stuckOn } = await stuck.started;
    // All of them finish while `stuck` still holds its worker.
    const done = await within(
      Promise.all(quick.map((q) => q.finished)),
      10_000,
      "the quick jobs finish while one worker is blocked",
    );
    expect(done.map((d) => d.outcome)).toEqual(quick.map((_, i) => ({ ok: true, value: `q${i}` })));
    for (const q of quick) expect((await q.started).workerId).not.toBe(stuckOn);
    expect(h.finishCount(stuck)).toBe(0);
    gate.open(release);
    expect((await stuck.finished).outcome).toEqual({ ok: true, value: true });
    expect((await medium.finished).outcome).toEqual({ ok: true, value: 300 });
    expect(readFileSync(file, "utf8").split("\n").filter(Boolean).sort()).toEqual(["q0", "q1", "q2", "q3"]);
    await h.close();
  });

  it("cancels a job buffered behind a blocking job at once: it never starts (item 2)", async () => {
    const h = new Harness(runtime);
    await warmUp(h);
    const release = gate.path();
    const file = gate.path();
    // One tick: the victim is handed ahead into the worker that the blocker is about to hold.
    const blocker = h.submit("blockUntilFile", [release], { ...on, priority: 10 });
    const victim = h.submit("appendLine", [file, "victim"], on);
    const after = h.submit("appendLine", [file, "after"], on);
    await blocker.started;
    const { cancelled, error } = h.cancel(victim, "not wanted");
    expect(cancelled).toBe(true);
    const { outcome } = await within(victim.finished, 5_000, "the cancelled job finishes while the blocker runs");
    expect(outcome).toEqual({ ok: false, error });
    expect(errorOf(outcome).exceptionClassPath).toBe("TaskCancelled");
    expect(h.finishCount(blocker)).toBe(0);
    gate.open(release);
    expect((await after.finished).outcome).toEqual({ ok: true, value: "after" });
    await h.close();
    expect(existsSync(file) ? readFileSync(file, "utf8") : "").toBe("after\n");
    expect(h.events.some((e) => e.type === "start" && e.key === victim.job.key)).toBe(false);
  });
});
