/**
 * The database backend end to end: the app enqueues rows, real `tasklane worker` processes claim
 * and run them in their own process pools, and results are read from any process.
 */
import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, getBackend, type TaskResult, TaskResultStatus } from "../../src/index.ts";
import { add, exitWorker, fail, flaky, record, sleep, spin, unrecoverable, whoami } from "../fixtures/db/tasks.ts";
import { type Database, isAlive, ROOT, tempDatabase, until, worker } from "./support.ts";

let db: Database;

afterEach(async () => {
  await closeAll({ timeoutMs: 0 });
  db?.remove();
});

const statusOf = async (result: TaskResult) => {
  await result.refresh();
  return result.status;
};

describe("tasklane worker", () => {
  it("runs what the app enqueued; the app's result sees it finish", async () => {
    db = tempDatabase();
    db.use();
    const result = await add.enqueue(2, 3);
    expect(result.status).toBe("READY");
    expect(result.backend).toBe("default");
    const run = worker(db, ["--batch"]);
    await result.wait({ timeoutMs: 30_000 });
    expect(result.status).toBe("SUCCESSFUL");
    expect(result.returnValue).toBe(5);
    expect(result.workerIds).toHaveLength(1);
    expect(result.startedAt).not.toBeNull();
    expect((await run.exited).code).toBe(0);
  });

  it("claims in django-tasks-db's order and never early", async () => {
    db = tempDatabase();
    db.use();
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms);
    const enqueue = (label: string, priority: number, runAfter: Date | null) =>
      record.using({ priority, runAfter }).enqueue(db.log, label);
    await enqueue("very_old", 20, at(-3_600_000));
    await enqueue("old", 20, at(-60_000));
    await enqueue("high_priority_far_future", 10, at(3_600_000));
    await enqueue("high_priority", 10, null);
    await enqueue("low_priority", 2, null);
    await enqueue("future", 0, at(3_600_000));
    await enqueue("far_future", 0, at(7_200_000));
    await enqueue("lower_priority", -2, null);
    const run = worker(db, ["--batch", "--concurrency", "1"]);
    expect((await run.exited).code).toBe(0);
    expect(db.lines().map((l) => l.split(" ")[0])).toEqual([
      "very_old",
      "old",
      "high_priority",
      "low_priority",
      "lower_priority",
    ]);
  });

  it("--max-tasks 2 with --concurrency 3 runs exactly two", async () => {
    db = tempDatabase();
    db.use();
    for (let i = 0; i < 5; i++) await record.enqueue(db.log, `t${i}`);
    const run = worker(db, ["--max-tasks", "2", "--concurrency", "3"]);
    expect((await run.exited).code).toBe(0);
    expect(db.lines()).toHaveLength(2);
  });

  it("never claims ahead of a lane of long tasks: what waits stays READY for another worker", async () => {
    db = tempDatabase();
    db.use();
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await sleep.enqueue(400, db.log));
    const [first, second, third] = results as [TaskResult, TaskResult, TaskResult];
    const run = worker(db, ["--concurrency", "1"]);
    const started = (r: TaskResult) => db.lines().includes(`start ${r.id}`);
    await until(() => started(first), "the first task started");
    // Nothing measured yet: one row per free child.
    expect([await statusOf(second), await statusOf(third)]).toEqual(["READY", "READY"]);
    await until(() => started(second), "the second task started");
    // Measured long now: still nothing claimed ahead.
    expect(await statusOf(first)).toBe("SUCCESSFUL");
    expect(await statusOf(third)).toBe("READY");
    await third.wait({ timeoutMs: 30_000 });
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
  });

  it("retries with the task's maxAttempts, never an unrecoverable error, and stops at a timeout", async () => {
    db = tempDatabase();
    db.use();
    const retried = await flaky.enqueue(2);
    const final = await unrecoverable.enqueue();
    const failed = await fail.enqueue("boom");
    const slow = await spin.using({ timeoutMs: 500 }).enqueue(20_000, null);
    const run = worker(db, ["--batch"]);
    expect((await run.exited).code).toBe(0);
    await retried.refresh();
    expect(retried.status).toBe("SUCCESSFUL");
    expect(retried.returnValue).toBe(3);
    expect(retried.errors.map((e) => e.message)).toEqual(["attempt 1 fails", "attempt 2 fails"]);
    expect(retried.attempts).toBe(3);
    await final.refresh();
    expect(final.status).toBe("FAILED");
    expect(final.attempts).toBe(1);
    expect(final.errors[0]?.exceptionClassPath).toBe("UnrecoverableError");
    await failed.refresh();
    expect(failed.errors[0]).toMatchObject({ exceptionClassPath: "TypeError", message: "boom" });
    expect(() => failed.returnValue).toThrow();
    await slow.refresh();
    expect(slow.status).toBe("FAILED");
    expect(slow.errors[0]?.exceptionClassPath).toBe("TaskTimeout");
  });

  it("gives a context task its result id, attempt and backend", async () => {
    db = tempDatabase();
    db.use();
    const result = await whoami.enqueue();
    expect((await worker(db, ["--batch"]).exited).code).toBe(0);
    await result.refresh();
    expect(result.returnValue).toEqual({ id: result.id, current: result.id, attempt: 1, backend: "default" });
  });

  it("a task that kills its child fails with WorkerCrashed and the worker goes on", async () => {
    db = tempDatabase();
    db.use();
    const crashed = await exitWorker.using({ priority: 10 }).enqueue(3);
    const after = await add.enqueue(1, 1);
    expect((await worker(db, ["--batch", "--concurrency", "1"]).exited).code).toBe(0);
    await crashed.refresh();
    expect(crashed.status).toBe("FAILED");
    expect(crashed.errors[0]?.exceptionClassPath).toBe("WorkerCrashed");
    expect(crashed.errors[0]?.message).toMatch(/exited with code 3/);
    await after.refresh();
    expect(after.returnValue).toBe(2);
  });

  it("cancels a READY task at once from the app, and the worker never runs it", async () => {
    db = tempDatabase();
    db.use();
    const result = await record.enqueue(db.log, "cancelled");
    expect(await result.cancel("not needed")).toBe(true);
    expect(result.status).toBe("FAILED");
    expect(result.errors[0]).toMatchObject({
      exceptionClassPath: "TaskCancelled",
      message: "Task was cancelled: not needed",
    });
    expect((await worker(db, ["--batch"]).exited).code).toBe(0);
    expect(db.lines()).toEqual([]);
    expect(await result.cancel()).toBe(false);
  });

  it("stops a RUNNING task that another process cancelled", async () => {
    db = tempDatabase({ cancelGraceMs: 500 });
    db.use();
    const result = await sleep.enqueue(60_000, db.log);
    const run = worker(db);
    await until(() => db.lines().length > 0, "the task to start");
    expect(await result.cancel("stop it")).toBe(true);
    expect(result.status).toBe("FAILED");
    expect(result.errors.at(-1)?.exceptionClassPath).toBe("TaskCancelled");
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
  });

  it("several workers on one file run each of 2,000 tasks exactly once", async () => {
    db = tempDatabase();
    db.use();
    const results: TaskResult[] = [];
    for (let i = 0; i < 2000; i++) results.push(await record.enqueue(db.log, `t${i}`));
    const runs = [
      worker(db, ["--batch", "--concurrency", "2"]),
      worker(db, ["--batch", "--concurrency", "2"]),
      worker(db, ["--batch", "--concurrency", "1"]),
    ];
    for (const run of runs) expect((await run.exited).code).toBe(0);
    const lines = db.lines();
    expect(lines).toHaveLength(2000);
    expect(new Set(lines.map((l) => l.split(" ")[1])).size).toBe(2000);
    const counts = await (
      await (
        getBackend() as unknown as { store(): Promise<{ counts(): Promise<{ status: string; count: number }[]> }> }
      ).store()
    ).counts();
    expect(counts.filter((c) => c.status !== "SUCCESSFUL")).toEqual([]);
  }, 120_000);

  /** SIGKILLs the worker (its whole process group) once its first task has logged its start. */
  async function killOnceStarted(run: ReturnType<typeof worker>): Promise<void> {
    await until(() => db.lines().some((l) => l.startsWith("start ")), "the first attempt to start");
    process.kill(-run.pid, "SIGKILL");
    await run.exited;
  }

  it("a SIGKILLed worker's task is reclaimed when its lease runs out, retried elsewhere, and records WorkerLost", async () => {
    db = tempDatabase({ leaseMs: 1500 });
    db.use();
    const result = await spin.using({ maxAttempts: 2, backoff: 0 }).enqueue(1500, db.log);
    await killOnceStarted(worker(db, ["--worker-id", "doomed"]));
    const second = worker(db, ["--worker-id", "rescuer"]);
    await result.wait({ timeoutMs: 30_000 });
    expect(result.status).toBe("SUCCESSFUL");
    expect(result.returnValue).toMatchObject({ attempt: 2 });
    expect(result.workerIds).toEqual(["doomed", "rescuer"]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.exceptionClassPath).toBe("WorkerLost");
    expect(result.errors[0]?.message).toMatch(/'doomed'/);
    second.child.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  }, 120_000);

  it("a module slower to import than the lease: claims and take-overs keep their lease while it loads", async () => {
    // Each import of the module (2.5 s) outlasts the lease (1.5 s): the first worker's after its
    // claim (its own reaper used to take the row back, and nothing ever started), the rescuer's
    // after its take-over (a second pass used to reap it again, recording the rescuer as lost).
    db = tempDatabase({ leaseMs: 1500 });
    db.use();
    const { slowSpin } = await import("../fixtures/db/slow-import.ts");
    const result = await slowSpin.using({ maxAttempts: 2, backoff: 0 }).enqueue(200, db.log);
    await killOnceStarted(worker(db, ["--worker-id", "doomed"]));
    const second = worker(db, ["--worker-id", "rescuer"]);
    await result.wait({ timeoutMs: 60_000 });
    expect(result.status).toBe("SUCCESSFUL");
    expect(result.workerIds).toEqual(["doomed", "rescuer"]);
    expect(result.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^Worker 'doomed' stopped renewing/)]);
    second.child.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  }, 120_000);

  it("the first SIGTERM lets the running task finish and exits 0; nothing is left RUNNING", async () => {
    db = tempDatabase();
    db.use();
    const running = await spin.enqueue(1500, db.log);
    const waiting = await add.using({ runAfter: new Date(Date.now() + 3_600_000) }).enqueue(1, 2);
    const run = worker(db);
    await until(() => db.lines().some((l) => l.startsWith("start ")), "the task to start");
    run.child.kill("SIGTERM");
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    expect(run.stderr()).toMatch(/shutting down gracefully/);
    expect(await statusOf(running)).toBe("SUCCESSFUL");
    expect(await statusOf(waiting)).toBe("READY");
  });

  it("a second SIGTERM stops the running task, which ends FAILED saying why; exit 1", async () => {
    db = tempDatabase();
    db.use();
    const running = await spin.enqueue(30_000, db.log);
    const run = worker(db);
    await until(() => db.lines().some((l) => l.startsWith("start ")), "the task to start");
    run.child.kill("SIGTERM");
    await run.waitFor(/shutting down gracefully/);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(1);
    await running.refresh();
    expect(running.status).toBe("FAILED");
    expect(running.errors.at(-1)?.message).toMatch(/second SIGTERM/);
    const pids = db
      .lines()
      .filter((l) => l.startsWith("start "))
      .map((l) => Number(l.split(" ")[2]));
    await until(() => pids.every((pid) => !isAlive(pid)), "the task's child to be gone");
  });

  it("results survive a restart of the enqueuing process", async () => {
    db = tempDatabase();
    const script = `
      import { configure } from ${JSON.stringify(new URL("../../src/index.ts", import.meta.url).href)};
      import { add } from ${JSON.stringify(new URL("../fixtures/db/tasks.ts", import.meta.url).href)};
      configure({ default: { backend: "database", options: { url: ${JSON.stringify(db.url)} } } });
      const result = await add.enqueue(20, 22);
      console.log(result.id);
    `;
    // No closeAll(): an idle database backend must not keep the script alive.
    const id = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 20_000,
    }).trim();
    db.use();
    const before = await add.getResult(id);
    expect(before.status).toBe(TaskResultStatus.READY);
    expect(before.args).toEqual([20, 22]);
    expect((await worker(db, ["--batch"]).exited).code).toBe(0);
    const after = await add.getResult(id);
    expect(after.status).toBe("SUCCESSFUL");
    expect(after.returnValue).toBe(42);
  });
});
