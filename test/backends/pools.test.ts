/**
 * The behavioural suite of the pool backends: one suite, run against both runtimes, through the
 * public API only (the engine has its own tests in test/pool).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  getBackend,
  type PoolBackend,
  type TaskResult,
  TaskResultDoesNotExist,
  taskEvents,
} from "../../src/index.ts";
import { unloadable } from "../fixtures/pools/loads-only-in-parent.ts";
// @ts-expect-error a plain .mjs fixture has no type declarations
import { double } from "../fixtures/pools/plain.mjs";
import {
  add,
  echo,
  exitWorker,
  fail,
  gate,
  noop,
  progress,
  returnsDate,
  throwUncaught,
  where,
  whoami,
} from "../fixtures/pools/tasks.ts";
import { InProcessDatabase } from "../support/database-backend.ts";
import { type Gate, isAlive, openGate, until } from "../support/gate.ts";
import { itWhere } from "../support/where.ts";

type PoolOptions = { maxWorkers?: number; maxResults?: number; queues?: Record<string, { maxWorkers: number }> };

// `database` runs the same behaviour with rows in a SQLite file and a worker claiming them (see
// test/support/database-backend.ts); what only a pool in this process has is skipped for it.
describe.each(["process-pool", "thread-pool", "database"] as const)("%s", (backendName) => {
  let gates: Gate;
  const unsubscribe: (() => void)[] = [];
  const database = new InProcessDatabase();
  const isDatabase = backendName === "database";

  const use = (options: PoolOptions = {}, queues: string[] = ["default", "reports", "emails"]) => {
    if (isDatabase) database.use({ maxWorkers: 2, ...options }, queues);
    else configure({ default: { backend: backendName, queues, options: { maxWorkers: 2, ...options } } });
  };
  const backend = () => getBackend() as PoolBackend;
  const on = (...args: Parameters<typeof taskEvents.on>) => unsubscribe.push(taskEvents.on(...args));

  beforeEach(async () => {
    gates = await openGate();
  });
  afterEach(async () => {
    for (const off of unsubscribe.splice(0)) off();
    await database.stop();
    await gates.close();
    await closeAll({ timeoutMs: 5000 });
    database.dispose();
  });

  it("runs a task in a worker and returns its value", async () => {
    use();
    const result = await add.enqueue(2, 3);
    expect(result.status).toBe("READY");
    await result.wait({ timeoutMs: 20_000 });
    expect(result.status).toBe("SUCCESSFUL");
    expect(result.returnValue).toBe(5);
    expect(result.workerIds).toHaveLength(1);
    expect(result.startedAt!.getTime()).toBeGreaterThanOrEqual(result.enqueuedAt.getTime());
    expect(result.finishedAt!.getTime()).toBeGreaterThanOrEqual(result.startedAt!.getTime());
  });

  it("runs the task outside the main thread of the parent", async () => {
    use();
    const result = await (await where.enqueue()).wait();
    const { pid, threadId } = result.returnValue as { pid: number; threadId: number };
    if (isDatabase) {
      // A child of the worker's own pool; the result names the worker (the claimer) instead.
      expect(pid).not.toBe(process.pid);
      expect(result.workerIds[0]).toBe("shared-suite");
    } else if (backendName === "process-pool") {
      expect(pid).not.toBe(process.pid);
      expect(result.workerIds[0]).toBe(String(pid));
    } else {
      expect(pid).toBe(process.pid);
      expect(result.workerIds[0]).toBe(`thread-${threadId}`);
    }
  });

  it("runs plain .mjs task modules as well as TypeScript ones", async () => {
    use();
    const result = await (await double.enqueue(21)).wait();
    expect(result.returnValue).toBe(42);
  });

  it("is RUNNING with its worker id while the worker runs it, READY before", async () => {
    use({ maxWorkers: 1 });
    const blocker = await gate.enqueue(gates.url("a"), "a");
    const queued = await echo.enqueue("b");
    await gates.arrived("a");
    await blocker.refresh();
    await queued.refresh();
    expect(blocker.status).toBe("RUNNING");
    expect(blocker.workerIds).toHaveLength(1);
    expect(blocker.startedAt).not.toBeNull();
    expect(queued.status).toBe("READY");
    expect(queued.startedAt).toBeNull();
    gates.release("a");
    expect((await blocker.wait()).returnValue).toBe("a");
    expect((await queued.wait()).returnValue).toBe("b");
  });

  it("never runs more tasks at once in a lane than its maxWorkers", async () => {
    use({ maxWorkers: 2 });
    let running = 0;
    let peak = 0;
    on("taskStarted", () => {
      running++;
      peak = Math.max(peak, running);
    });
    on("taskFinished", () => {
      running--;
    });
    const labels = ["g0", "g1", "g2", "g3", "g4", "g5"];
    const results = await Promise.all(labels.map((l) => gate.enqueue(gates.url(l), l)));
    // Nothing is released until two tasks are held at once: the lane does reach its bound...
    await Promise.all([gates.arrived("g0"), gates.arrived("g1")]);
    expect(running).toBe(2);
    // ...and then, released one at a time, never goes past it.
    for (const label of labels) {
      await gates.arrived(label);
      expect(running).toBeLessThanOrEqual(2);
      gates.release(label);
    }
    await Promise.all(results.map((r) => r.wait()));
    expect(peak).toBe(2);
    expect(results.every((r) => r.status === "SUCCESSFUL")).toBe(true);
  });

  it("gives a queue listed in options.queues its own lane, which a busy lane never delays", async () => {
    use({ maxWorkers: 1, queues: { reports: { maxWorkers: 1 } } });
    const report1 = await gate.using({ queueName: "reports" }).enqueue(gates.url("r1"), "r1");
    const report2 = await gate.using({ queueName: "reports" }).enqueue(gates.url("r2"), "r2");
    await gates.arrived("r1");
    // The reports lane is saturated; the shared lane (default, emails) is not.
    const email = await (await echo.using({ queueName: "emails" }).enqueue("sent")).wait({ timeoutMs: 20_000 });
    expect(email.returnValue).toBe("sent");
    await report2.refresh();
    expect(report2.status).toBe("READY");
    gates.release("r1");
    gates.release("r2");
    await Promise.all([report1.wait(), report2.wait()]);
    expect(report2.status).toBe("SUCCESSFUL");
  });

  it("starts waiting tasks by priority, first in first out among equals", async () => {
    use({ maxWorkers: 1 });
    const started: string[] = [];
    on("taskStarted", (r) => {
      if (r.task.name === "echo") started.push(r.args[0] as string);
    });
    const blocker = await gate.enqueue(gates.url("block"), "block");
    await gates.arrived("block");
    const plan: [string, number][] = [
      ["low-1", -5],
      ["mid-1", 0],
      ["high-1", 10],
      ["mid-2", 0],
      ["top", 100],
      ["high-2", 10],
      ["low-2", -5],
    ];
    const results = [];
    for (const [label, priority] of plan) results.push(await echo.using({ priority }).enqueue(label));
    gates.release("block");
    await blocker.wait();
    await Promise.all(results.map((r) => r.wait()));
    expect(started).toEqual(["top", "high-1", "high-2", "mid-1", "mid-2", "low-1", "low-2"]);
  });

  it("does not start a task before its runAfter time", async () => {
    use();
    const runAfter = new Date(Date.now() + 300);
    const result = await echo.using({ runAfter }).enqueue("later");
    expect(result.task.runAfter).toEqual(runAfter);
    await result.wait({ timeoutMs: 20_000 });
    expect(result.status).toBe("SUCCESSFUL");
    expect(result.startedAt!.getTime()).toBeGreaterThanOrEqual(runAfter.getTime());
  });

  it("reports progress from inside the worker as result.progress and taskProgress events", async () => {
    use();
    const seen: unknown[] = [];
    on("taskProgress", (r) => seen.push(r.progress));
    const result = await (await progress.enqueue(3)).wait();
    expect(result.returnValue).toBe(3);
    expect(seen).toEqual([
      { current: 1, total: 3, message: "step 1" },
      { current: 2, total: 3, message: "step 2" },
      { current: 3, total: 3, message: "step 3" },
    ]);
    expect(result.progress).toEqual({ current: 3, total: 3, message: "step 3" });
  });

  it("gives takesContext tasks their result, attempt and currentResultId across the boundary", async () => {
    use();
    const result = await (await whoami.enqueue()).wait();
    expect(result.returnValue).toEqual({
      contextId: result.id,
      currentId: result.id,
      attempt: 1,
      status: "RUNNING",
      workerIds: [...result.workerIds],
    });
  });

  it("brings errors back with their class name, message, stack and code", async () => {
    use();
    const result = await (await fail.enqueue("over quota")).wait();
    expect(result.status).toBe("FAILED");
    expect(() => result.returnValue).toThrow("Task failed");
    const [error] = result.errors;
    expect(error).toMatchObject({ exceptionClassPath: "QuotaExceeded", message: "over quota", code: "E_QUOTA" });
    expect(error!.traceback).toContain("over quota");
    expect(error!.traceback).toContain("tasks.ts");
  });

  it("fails a task whose return value is not JSON with the TypeError naming the path", async () => {
    use();
    const result = await (await returnsDate.enqueue()).wait();
    expect(result.status).toBe("FAILED");
    expect(result.errors[0]).toMatchObject({
      exceptionClassPath: "TypeError",
      message: "returnValue.when: Date is not JSON-serializable",
    });
  });

  it("fails the task whose worker exits mid-task, replaces the worker and keeps the others", async () => {
    use({ maxWorkers: 1 });
    const crashing = await exitWorker.enqueue(3);
    const after = await echo.enqueue("still here");
    await crashing.wait({ timeoutMs: 20_000 });
    expect(crashing.status).toBe("FAILED");
    expect(crashing.errors[0]!.exceptionClassPath).toBe("WorkerCrashed");
    expect(crashing.errors[0]!.message).toMatch(/code 3/);
    expect((await after.wait({ timeoutMs: 20_000 })).returnValue).toBe("still here");
    expect((await (await add.enqueue(1, 1)).wait({ timeoutMs: 20_000 })).returnValue).toBe(2);
  });

  // On process-pool the worker prints to stderr: test/pool/noisy-faults.test.ts runs it with stderr piped.
  itWhere(backendName === "thread-pool")(
    "fails the task whose worker dies of an uncaught exception, and keeps working",
    async () => {
      use({ maxWorkers: 1 });
      const result = await (await throwUncaught.enqueue()).wait({ timeoutMs: 20_000 });
      expect(result.status).toBe("FAILED");
      expect(result.errors[0]!.message).toContain("uncaught in worker");
      expect((await (await add.enqueue(2, 2)).wait({ timeoutMs: 20_000 })).returnValue).toBe(4);
    },
  );

  // The database worker loads the task in its own (parent) process, where this module loads.
  itWhere(!isDatabase)(
    "fails tasks whose module cannot be imported in the worker, naming the module, without a fork storm",
    async () => {
      use({ maxWorkers: 2 });
      const results = await Promise.all(Array.from({ length: 6 }, () => unloadable.enqueue()));
      await Promise.all(results.map((r) => r.wait({ timeoutMs: 20_000 })));
      for (const r of results) {
        expect(r.status).toBe("FAILED");
        expect(r.errors[0]!.exceptionClassPath).toBe("TaskModuleError");
        expect(r.errors[0]!.message).toContain("loads-only-in-parent.ts");
        expect(r.errors[0]!.message).toContain("refuses to load in a worker");
      }
      expect(backend().workerInfo().length).toBeLessThanOrEqual(2);
      expect((await (await add.enqueue(3, 4)).wait({ timeoutMs: 20_000 })).returnValue).toBe(7);
    },
  );

  // Rows stay until `tasklane prune` (test/db covers it); maxResults is an in-memory bound.
  itWhere(!isDatabase)(
    "keeps finished results up to maxResults, and every held result still resolves (100k tasks)",
    async () => {
      use({ maxWorkers: 2, maxResults: 1000 });
      const count = 100_000;
      const results: Promise<TaskResult<null>>[] = [];
      for (let i = 0; i < count; i++) results.push(noop.enqueue());
      const held = await Promise.all(results);
      const finished = await Promise.all(held.map((r) => r.wait()));
      expect(finished.every((r) => r.status === "SUCCESSFUL" && r.returnValue === null)).toBe(true);
      await expect(noop.getResult(held[0]!.id)).rejects.toBeInstanceOf(TaskResultDoesNotExist);
      expect((await noop.getResult(held[count - 1]!.id)).status).toBe("SUCCESSFUL");
      expect(backend().pending).toBe(0);
    },
    120_000,
  );

  // The worker process owns the children, not the backend: test/db/worker.test.ts drains it.
  itWhere(!isDatabase)("close() lets running work finish, then leaves no worker behind", async () => {
    use({ maxWorkers: 2 });
    const running = await gate.enqueue(gates.url("c"), "c");
    await gates.arrived("c");
    const workers = backend().workerInfo();
    expect(workers.length).toBeGreaterThan(0);
    const closing = backend().close({ timeoutMs: 10_000 });
    gates.release("c");
    await closing;
    expect((await running.wait()).status).toBe("SUCCESSFUL");
    expect(backend().workerInfo()).toEqual([]);
    if (backendName === "process-pool") {
      for (const w of workers) expect(isAlive(w.pid!)).toBe(false);
    }
    await expect(add.enqueue(1, 2)).rejects.toThrow(/closed/);
  });
});

describe("process-pool only", () => {
  afterEach(async () => {
    await closeAll({ timeoutMs: 5000 });
  });

  it("fails the task whose child is killed from outside, and the pool keeps working", async () => {
    configure({ default: { backend: "process-pool", options: { maxWorkers: 1 } } });
    const gates = await openGate();
    try {
      const victim = await gate.enqueue(gates.url("victim"), "victim");
      const next = await echo.enqueue("next");
      await gates.arrived("victim");
      await victim.refresh();
      const pid = Number(victim.workerIds[0]);
      process.kill(pid, "SIGKILL");
      await victim.wait({ timeoutMs: 20_000 });
      expect(victim.status).toBe("FAILED");
      expect(victim.errors[0]!.exceptionClassPath).toBe("WorkerCrashed");
      expect(victim.errors[0]!.message).toContain(String(pid));
      expect(victim.errors[0]!.message).toContain("SIGKILL");
      expect((await next.wait({ timeoutMs: 20_000 })).returnValue).toBe("next");
      await until(() => !isAlive(pid), `killed child ${pid} is reaped`);
    } finally {
      await gates.close();
    }
  });
});
