import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorOf, Gate, Harness, isAlive, type RuntimeKind, spyOnEngineTimers, waitUntil } from "./harness.ts";

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool timeouts (%s)", (runtime) => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("kills the worker of a job past its timeout, replaces it, and runs the jobs it buffered elsewhere", async () => {
    const h = new Harness(runtime);
    // Short jobs teach the lane to prefetch, so the jobs below land in the worker's own buffer.
    await Promise.all(Array.from({ length: 50 }, () => h.submit("noop").finished));
    // Synchronous and endless: nothing but a kill ends it.
    const hung = h.submit("spinUntilFile", [gate.path()], { priority: 10, timeoutMs: 300 });
    const others = Array.from({ length: 10 }, (_, i) => h.submit("add", [i, 1]));
    const { workerId } = await hung.started;
    const error = errorOf((await hung.finished).outcome);
    expect(error.exceptionClassPath).toBe("TaskTimeout");
    expect(error.code).toBe("TASKLANE_TASK_TIMEOUT");
    expect(error.message).toBe(`Task exceeded its timeout of 300 ms; worker ${workerId} was stopped and replaced`);
    const results = await Promise.all(others.map((x) => x.finished));
    expect(results.map((r) => r.outcome)).toEqual(others.map((_, i) => ({ ok: true, value: i + 1 })));
    for (const other of others) expect((await other.started).workerId).not.toBe(workerId);
    const next = h.submit("add", [2, 2]);
    expect((await next.finished).outcome).toEqual({ ok: true, value: 4 });
    expect((await next.started).workerId).not.toBe(workerId);
    if (runtime === "process") await waitUntil(() => !isAlive(Number(workerId)), "the killed child is gone");
    expect(h.pool.workerInfo().map((w) => w.workerId)).not.toContain(workerId);
    await h.close();
  });

  it("lets a job that finishes within its timeout succeed on the same worker", async () => {
    const h = new Harness(runtime);
    const first = h.submit("sleepMs", [20], { timeoutMs: 30_000 });
    expect((await first.finished).outcome).toEqual({ ok: true, value: 20 });
    const second = h.submit("add", [1, 1], { timeoutMs: 30_000 });
    expect((await second.finished).outcome).toEqual({ ok: true, value: 2 });
    expect((await second.started).workerId).toBe((await first.started).workerId);
    await h.close();
  });

  it("arms a timer for a job with a timeout, and none for a job without", async () => {
    const h = new Harness(runtime);
    await h.run("noop"); // the worker is forked and warm before the spy starts
    const spy = spyOnEngineTimers();
    try {
      // The control: the spy does see the engine's timers.
      expect(await h.run("sleepMs", [10], { timeoutMs: 987_654 })).toEqual({ ok: true, value: 10 });
      expect(spy.timers.map((t) => t.delay)).toContain(987_654);
      spy.timers.length = 0;
      expect(await h.run("sleepMs", [10])).toEqual({ ok: true, value: 10 });
      expect(await h.run("add", [1, 2])).toEqual({ ok: true, value: 3 });
      expect(spy.timers).toEqual([]);
    } finally {
      spy.restore();
    }
    await h.close();
  });

  it("rejects a timeout out of range, and a key that is still pending", async () => {
    const h = new Harness(runtime);
    const release = gate.path();
    const held = h.submit("waitForFile", [release]);
    expect(() => h.pool.submit({ ...held.job, key: 100, timeoutMs: 0 })).toThrow(RangeError);
    expect(() => h.pool.submit({ ...held.job, key: 101, timeoutMs: 2 ** 31 })).toThrow(RangeError);
    expect(() => h.pool.submit({ ...held.job })).toThrow(/key 1 is already pending/);
    expect(h.pool.pending).toBe(1);
    gate.open(release);
    expect((await held.finished).outcome).toEqual({ ok: true, value: release });
    await h.close();
  });
});
