/**
 * TaskResult beyond what Django's backend tests cover: `returnValue` errors, `toJSON()`, and
 * `wait()` (finished results, `timeoutMs`, `signal`), which tasklane adds for Node.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  type DummyBackend,
  getBackend,
  type TaskResult,
  TaskResultStatus,
  taskEvents,
  WaitTimeout,
} from "../../src/index.ts";
import {
  calculateMeaningOfLife,
  echo,
  failingTaskValueError,
  noopTask,
  openGate,
  waitForGate,
} from "../fixtures/core/tasks.ts";

beforeEach(() => {
  configure({ default: { backend: "immediate", queues: [] }, dummy: { backend: "dummy" } });
});

afterEach(async () => {
  await closeAll();
});

/** A READY result on the dummy backend: it never finishes. */
async function neverFinishing(): Promise<TaskResult> {
  return noopTask.using({ backend: "dummy" }).enqueue();
}

/** Enqueues `waitForGate` on a fresh gate and resolves once it runs: its gate, result id and enqueue. */
async function startGated(prefix: string): Promise<{ gate: string; id: string; running: Promise<TaskResult> }> {
  const gate = `${prefix}-${Math.random()}`;
  let id = "";
  const started = new Promise<void>((resolve) => {
    const off = taskEvents.on("taskStarted", (r) => {
      id = r.id;
      off();
      resolve();
    });
  });
  const running = waitForGate.enqueue(gate);
  await started;
  return { gate, id, running };
}

describe("returnValue and the statuses", () => {
  it("TaskResultStatus has exactly the four statuses", () => {
    expect(Object.values(TaskResultStatus)).toEqual(["READY", "RUNNING", "SUCCESSFUL", "FAILED"]);
  });

  it("returnValue throws 'Task has not finished yet' before the end and 'Task failed' after a failure", async () => {
    const ready = await neverFinishing();
    expect(() => ready.returnValue).toThrow(new Error("Task has not finished yet"));

    const failed = await failingTaskValueError.enqueue();
    expect(() => failed.returnValue).toThrow(/^Task failed: /);

    const ok = await echo.enqueue({ a: [1, "two", null] });
    expect(ok.returnValue).toEqual({ a: [1, "two", null] });
  });

  it("toJSON() is a plain JSON view that includes returnValue only when SUCCESSFUL", async () => {
    const ok = await calculateMeaningOfLife.enqueue();
    const json = ok.toJSON();
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json).toMatchObject({
      id: ok.id,
      task: calculateMeaningOfLife.modulePath,
      backend: "default",
      status: "SUCCESSFUL",
      args: [],
      attempts: 1,
      errors: [],
      progress: null,
      returnValue: 42,
    });

    const failed = (await failingTaskValueError.enqueue()).toJSON();
    expect(failed).not.toHaveProperty("returnValue");
    expect(failed.errors).toEqual([expect.objectContaining({ exceptionClassPath: "ValueError" })]);
    expect(String(ok)).toBe(`TaskResult(id=${ok.id}, path=${calculateMeaningOfLife.modulePath}, status=SUCCESSFUL)`);
  });

  it("result ids are unique strings under 64 characters", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await noopTask.enqueue()).id);
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id.length).toBeLessThan(64);
  });
});

describe("wait()", () => {
  it("resolves at once with a finished result, SUCCESSFUL or FAILED", async () => {
    const ok = await calculateMeaningOfLife.enqueue();
    await expect(ok.wait()).resolves.toBe(ok);
    await expect(ok.wait({ timeoutMs: 0 })).resolves.toBe(ok);

    const failed = await failingTaskValueError.enqueue();
    await expect(failed.wait()).resolves.toBe(failed);
    expect(failed.status).toBe(TaskResultStatus.FAILED);
  });

  it("a READY snapshot resolves up to date once the task finishes", async () => {
    let snapshot: TaskResult | undefined;
    let waiting: Promise<TaskResult> | undefined;
    const off = taskEvents.on("taskStarted", (r) => {
      snapshot = r;
      waiting = r.wait();
    });
    try {
      await calculateMeaningOfLife.enqueue();
    } finally {
      off();
    }

    expect(waiting).toBeDefined();
    await expect(waiting).resolves.toBe(snapshot);
    expect(snapshot!.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(snapshot!.returnValue).toBe(42);
  });

  it("several waiters on one running result all resolve", async () => {
    const { gate, id, running } = await startGated("many");
    const a = await waitForGate.getResult(id);
    const b = await waitForGate.getResult(id);
    const waits = Promise.all([a.wait(), b.wait(), a.wait({ timeoutMs: 60_000 })]);

    openGate(gate);

    const [ra, rb, ra2] = await waits;
    expect(ra.returnValue).toBe(gate);
    expect(rb.returnValue).toBe(gate);
    expect(ra2).toBe(a);
    await running;
  });

  it("timeoutMs rejects with WaitTimeout and leaves the task alone", async () => {
    const result = await neverFinishing();

    const outcome = result.wait({ timeoutMs: 20 });

    await expect(outcome).rejects.toBeInstanceOf(WaitTimeout);
    await expect(outcome).rejects.toThrow(
      `Timed out after 20 ms waiting for result ${result.id} of ${result.task.modulePath} (still READY); the task itself is not affected.`,
    );
    expect(result.status).toBe(TaskResultStatus.READY);
    const dummy = getBackend("dummy") as DummyBackend;
    expect(dummy.results.map((r) => r.id)).toEqual([result.id]);
    expect((await dummy.getResult(result.id)).status).toBe(TaskResultStatus.READY);
    await expect(result.wait({ timeoutMs: 0 })).rejects.toBeInstanceOf(WaitTimeout);
  });

  it("signal aborts the wait with the signal's reason and leaves the task alone", async () => {
    const result = await neverFinishing();
    const controller = new AbortController();
    const reason = new Error("the user navigated away");

    const outcome = result.wait({ signal: controller.signal });
    controller.abort(reason);

    await expect(outcome).rejects.toBe(reason);
    expect(result.status).toBe(TaskResultStatus.READY);
  });

  it("an already aborted signal rejects at once, with or without timeoutMs", async () => {
    const result = await neverFinishing();
    const reason = new Error("already aborted");
    const signal = AbortSignal.abort(reason);

    await expect(result.wait({ signal })).rejects.toBe(reason);
    await expect(result.wait({ signal, timeoutMs: 60_000 })).rejects.toBe(reason);
  });

  it("signal combined with timeoutMs: whichever comes first wins", async () => {
    const result = await neverFinishing();
    const controller = new AbortController();

    const timedOut = result.wait({ signal: controller.signal, timeoutMs: 10 });
    await expect(timedOut).rejects.toBeInstanceOf(WaitTimeout);

    const aborted = result.wait({ signal: controller.signal, timeoutMs: 60_000 });
    controller.abort(new Error("aborted first"));
    await expect(aborted).rejects.toThrow("aborted first");
  });

  it("an aborted or timed-out wait does not stop a later wait from resolving", async () => {
    const { gate, id, running } = await startGated("later");
    const result = await waitForGate.getResult(id);

    await expect(result.wait({ timeoutMs: 5 })).rejects.toBeInstanceOf(WaitTimeout);
    await expect(result.wait({ signal: AbortSignal.abort(new Error("no")) })).rejects.toThrow("no");
    expect(result.status).toBe(TaskResultStatus.RUNNING);

    const waiting = result.wait();
    openGate(gate);

    await expect(waiting).resolves.toBe(result);
    expect(result.returnValue).toBe(gate);
    await running;
  });

  it("several waits at once: the one whose signal aborts leaves, the others resolve with the result", async () => {
    const { gate, id, running } = await startGated("leaving");
    const result = await waitForGate.getResult(id);
    const leaving = new AbortController();
    const alone = new AbortController();

    // First alone (then the only waiter leaves), then three together (the middle one leaves).
    const lone = result.wait({ signal: alone.signal });
    alone.abort(new Error("left alone"));
    await expect(lone).rejects.toThrow("left alone");
    const first = result.wait();
    const middle = result.wait({ signal: leaving.signal });
    const last = result.wait({ signal: new AbortController().signal });
    leaving.abort(new Error("left"));
    await expect(middle).rejects.toThrow("left");
    openGate(gate);

    await expect(first).resolves.toBe(result);
    await expect(last).resolves.toBe(result);
    expect(result.returnValue).toBe(gate);
    await running;
  });

  it("timeoutMs must be a number >= 0", async () => {
    const result = await neverFinishing();
    await expect(result.wait({ timeoutMs: -1 })).rejects.toThrow(
      new RangeError("wait(): timeoutMs must be a number >= 0 (got -1)"),
    );
    await expect(result.wait({ timeoutMs: Number.NaN })).rejects.toBeInstanceOf(RangeError);
  });
});
