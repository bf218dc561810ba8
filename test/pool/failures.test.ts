import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { itWhere } from "../support/where.ts";
import { errorOf, Gate, Harness, isAlive, type RuntimeKind, TASKS, waitUntil } from "./harness.ts";

const workerName = (runtime: RuntimeKind, workerId: string) =>
  runtime === "process" ? `Worker process ${workerId} ` : `Worker thread ${workerId.slice("thread-".length)} `;

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool failures (%s)", (runtime) => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("returns a thrown error as the TaskError from runTask (class, message, stack, code)", async () => {
    const h = new Harness(runtime);
    const error = errorOf(await h.run("throwsCustom", ["x"]));
    expect(error.exceptionClassPath).toBe("ValidationError");
    expect(error.message).toBe("bad input: x");
    expect(error.code).toBe("E_VALIDATION");
    expect(error.traceback).toContain("bad input: x");
    expect(error.traceback).toContain("tasks.ts");
    const rejected = errorOf(await h.run("rejects"));
    expect([rejected.exceptionClassPath, rejected.message]).toEqual(["RangeError", "async failure"]);
    await h.close();
  });

  it("fails a job whose return value is not JSON with runTask's TypeError", async () => {
    const h = new Harness(runtime);
    const error = errorOf(await h.run("returnsDate"));
    expect(error.exceptionClassPath).toBe("TypeError");
    expect(error.message).toBe("returnValue: Date is not JSON-serializable");
    await h.close();
  });

  it("fails the running job when its worker exits, and replaces the worker", async () => {
    const h = new Harness(runtime);
    const handle = h.submit("exitsWith", [3]);
    const { workerId } = await handle.started;
    const error = errorOf((await handle.finished).outcome);
    expect(error.exceptionClassPath).toBe("WorkerCrashed");
    expect(error.code).toBe("TASKLANE_WORKER_CRASHED");
    expect(error.message).toBe(
      `${workerName(runtime, workerId)}exited with code 3${runtime === "process" ? " (signal none)" : ""} while running ${TASKS}#exitsWith`,
    );
    const later = h.submit("add", [1, 2]);
    expect((await later.finished).outcome).toEqual({ ok: true, value: 3 });
    expect((await later.started).workerId).not.toBe(workerId);
    await h.close();
  });

  // On the process runtime the worker prints to stderr: test/pool/noisy-faults.test.ts runs it with stderr piped.
  itWhere(runtime !== "process")("names an uncaught exception thrown from a timer", async () => {
    const h = new Harness(runtime);
    const handle = h.submit("throwsFromTimer");
    const { workerId } = await handle.started;
    const error = errorOf((await handle.finished).outcome);
    expect(error.exceptionClassPath).toBe("WorkerCrashed");
    expect(error.message).toContain(`${workerName(runtime, workerId)}exited with code 1`);
    expect(error.message).toContain(`while running ${TASKS}#throwsFromTimer: uncaught Error: timer boom`);
    expect(await h.run("add", [2, 2])).toEqual({ ok: true, value: 4 });
    await h.close();
  });

  it("gives the jobs buffered in a dead worker back to the lane, unaffected", async () => {
    const h = new Harness(runtime);
    // Short jobs teach the lane to prefetch, so the next batch lands in the worker's own buffer.
    await Promise.all(Array.from({ length: 50 }, () => h.submit("noop").finished));
    const crash = h.submit("exitsWith", [7], { priority: 10 });
    const others = Array.from({ length: 10 }, (_, i) => h.submit("add", [i, 1]));
    const crashed = await crash.started;
    expect(errorOf((await crash.finished).outcome).exceptionClassPath).toBe("WorkerCrashed");
    const results = await Promise.all(others.map((x) => x.finished));
    expect(results.map((r) => r.outcome)).toEqual(others.map((_, i) => ({ ok: true, value: i + 1 })));
    for (const other of others) expect((await other.started).workerId).not.toBe(crashed.workerId);
    // Handed back in their original order.
    expect(h.startOrder().slice(-others.length)).toEqual(others.map((x) => x.job.key));
    await h.close();
  });

  it("fails jobs of bad modules with TaskModuleError, keeps the worker and caches the failure", async () => {
    const h = new Harness(runtime);
    const first = h.submit("add", [1, 1]);
    const { workerId } = await first.started;
    const syntax = gate.module("syntax-error.mjs", "export const = ;\n");
    const missing = new URL("./does-not-exist.mjs", syntax).href;
    const throwing = new URL("../fixtures/pool/throws-at-import.ts", import.meta.url).href;
    const cases: [string, string, RegExp][] = [
      [syntax, "task", /SyntaxError/],
      [missing, "task", /ERR_MODULE_NOT_FOUND|Cannot find module/],
      [throwing, "unreachable", /Error: this module refuses to load/],
      [TASKS, "noSuchExport", /has no export 'noSuchExport'/],
      // One wording with the CLI and enqueue (the task loader's).
      [TASKS, "notATask", /is not a task \(it is a number\)/],
    ];
    for (const [module, exportName, cause] of cases) {
      // Several jobs each: one import attempt, the same answer for all of them.
      const outcomes = await Promise.all([1, 2, 3].map(() => h.run(exportName, [], { module })));
      for (const outcome of outcomes) {
        const error = errorOf(outcome);
        expect(error.exceptionClassPath).toBe("TaskModuleError");
        expect(error.code).toBe("TASKLANE_MODULE_ERROR");
        expect(error.message).toContain(module);
        expect(error.message).toContain(`'${exportName}'`);
        expect(error.message).toMatch(cause);
      }
    }
    expect(h.events.filter((e) => e.type === "start")).toHaveLength(1); // bad jobs never started
    const after = h.submit("add", [2, 2]);
    expect((await after.finished).outcome).toEqual({ ok: true, value: 4 });
    expect((await after.started).workerId).toBe(workerId);
    expect(h.pool.workerInfo().map((w) => w.workerId)).toEqual([workerId]);
    await h.close();
  });

  it("fails the job whose module kills the worker during import, then carries on", async () => {
    const h = new Harness(runtime);
    const module = new URL("../fixtures/pool/exits-at-import.ts", import.meta.url).href;
    const error = errorOf(await h.run("never", [], { module }));
    expect(error.exceptionClassPath).toBe("WorkerCrashed");
    expect(error.message).toMatch(/exited with code 4/);
    expect(error.message).toContain(`while importing ${module}#never`);
    expect(h.events.filter((e) => e.type === "start")).toHaveLength(0);
    expect(await h.run("add", [3, 3])).toEqual({ ok: true, value: 6 });
    await h.close();
  });

  // On the process runtime the worker prints to stderr: test/pool/noisy-faults.test.ts runs it with stderr piped.
  itWhere(runtime !== "process")("backs off and then fails the lane's jobs when workers cannot start", async () => {
    const h = new Harness(runtime, { default: { maxWorkers: 2 } }, { execArgv: ["--tasklane-no-such-flag"] });
    const handles = [h.submit("add", [1, 1]), h.submit("add", [2, 2])];
    const results = await Promise.all(handles.map((x) => x.finished));
    for (const { outcome } of results) {
      const error = errorOf(outcome);
      expect(error.exceptionClassPath).toBe("WorkerCrashed");
      expect(error.message).toContain("Could not start a worker for lane 'default': 5 start-ups in a row failed");
    }
    expect(h.events.filter((e) => e.type === "start")).toHaveLength(0);
    await h.close();
  });

  it("treats a clean exit in the middle of a job as a crash and forgets the worker", async () => {
    const h = new Harness(runtime);
    const handle = h.submit("exitsWith", [0]);
    const { workerId } = await handle.started;
    expect(errorOf((await handle.finished).outcome).message).toContain("exited with code 0");
    if (runtime === "process") await waitUntil(() => !isAlive(Number(workerId)), "the child is gone");
    expect(h.pool.workerInfo().map((w) => w.workerId)).not.toContain(workerId);
    await h.close();
  });
});

// Killing a worker from outside, or its parent, only means something for a child process.
describe("WorkerPool failures (process only)", () => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("fails the running job when its child is SIGKILLed from outside", async () => {
    const h = new Harness("process");
    const handle = h.submit("waitForFile", [gate.path()]);
    const { workerId } = await handle.started;
    process.kill(Number(workerId), "SIGKILL");
    const error = errorOf((await handle.finished).outcome);
    expect(error.message).toBe(
      `Worker process ${workerId} exited with code null (signal SIGKILL) while running ${TASKS}#waitForFile`,
    );
    expect(isAlive(Number(workerId))).toBe(false);
    expect(await h.run("add", [5, 5])).toEqual({ ok: true, value: 10 });
    await h.close();
  });
});
