/**
 * A task module whose import never settles (issue 9, item 3): the import counts against the job's
 * timeout, or the pool's import timeout when the job has none; the worker is replaced, the lane's
 * other work runs, and a cancel works while the module is being imported.
 */
import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { within } from "../support/deadline.ts";
import { errorOf, Gate, Harness, type RuntimeKind, waitUntil } from "./harness.ts";

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool import hangs (%s)", (runtime) => {
  let gate: Gate;
  let hangs: string;
  let marker: string;
  beforeEach(() => {
    gate = new Gate();
    marker = gate.path();
    // It says when its import began, then waits forever (a connection that never answers). What it
    // would export does not matter: nothing ever gets that far.
    hangs = gate.module(
      "hangs.mjs",
      [
        `import { writeFileSync } from "node:fs";`,
        `writeFileSync(${JSON.stringify(marker)}, "");`,
        "await new Promise(() => {});",
        "export const never = null;",
      ].join("\n"),
    );
  });
  afterEach(() => {
    gate.dispose();
  });

  it("fails a job whose import outlasts its timeoutMs, and runs another module's job in the lane", async () => {
    const h = new Harness(runtime);
    const hung = h.submit("never", [], { module: hangs, timeoutMs: 400 });
    const other = h.submit("add", [1, 2]);
    const { outcome } = await within(hung.finished, 15_000, "the hung import times out");
    const error = errorOf(outcome);
    expect(error.exceptionClassPath).toBe("TaskTimeout");
    expect(error.message).toContain("400 ms");
    expect(error.message).toContain("hangs.mjs");
    expect((await within(other.finished, 15_000, "the other job runs")).outcome).toEqual({ ok: true, value: 3 });
    expect(h.events.some((e) => e.type === "start" && e.key === hung.job.key)).toBe(false);
    await h.close();
  });

  it("applies importTimeoutMs to a job without a timeout", async () => {
    const h = new Harness(runtime, { default: { maxWorkers: 1 } }, { importTimeoutMs: 300 });
    const hung = h.submit("never", [], { module: hangs });
    const other = h.submit("add", [2, 2]);
    const error = errorOf((await within(hung.finished, 15_000, "the import timeout fires")).outcome);
    expect(error.exceptionClassPath).toBe("TaskTimeout");
    expect(error.message).toContain("importTimeoutMs");
    expect(error.message).toContain("hangs.mjs");
    expect((await within(other.finished, 15_000, "the other job runs")).outcome).toEqual({ ok: true, value: 4 });
    await h.close();
  });

  it("cancels a job while its module imports: at once, it never starts, and the lane goes on", async () => {
    const h = new Harness(runtime, { default: { maxWorkers: 1 } }, { importTimeoutMs: 600_000 });
    const hung = h.submit("never", [], { module: hangs });
    const other = h.submit("add", [3, 4]);
    await waitUntil(() => existsSync(marker), "the worker is importing the module");
    const { cancelled, error } = h.cancel(hung, "import takes too long", 200);
    expect(cancelled).toBe(true);
    expect((await within(hung.finished, 5_000, "the cancel resolves")).outcome).toEqual({ ok: false, error });
    expect((await within(other.finished, 15_000, "the other job runs")).outcome).toEqual({ ok: true, value: 7 });
    expect(h.events.some((e) => e.type === "start" && e.key === hung.job.key)).toBe(false);
    await h.close();
  });
});
