import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toTaskError } from "../../src/task-error.ts";
import { errorOf, Gate, Harness, isAlive, type RuntimeKind, waitUntil } from "./harness.ts";

const CONTEXT = { id: "r", backend: "test", enqueuedAt: 0, startedAt: null, workerIds: [], errors: [] };

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool cancel (%s)", (runtime) => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("removes a queued and a delayed job at once, and says false for unknown and finished jobs", async () => {
    const h = new Harness(runtime);
    const release = gate.path();
    const blocker = h.submit("waitForFile", [release]);
    await blocker.started;
    // Only one worker, and it is busy without having learned to prefetch: these wait in the lane.
    const queued = [h.submit("add", [1, 0]), h.submit("add", [2, 0]), h.submit("add", [3, 0])];
    const delayed = h.submit("add", [4, 0], { runAfter: Date.now() + 3_600_000 });
    const a = h.cancel(queued[1]!, "not this one");
    const b = h.cancel(delayed, "nor this one");
    expect([a.cancelled, b.cancelled]).toEqual([true, true]);
    // Finished synchronously, inside cancel().
    expect([h.finishCount(queued[1]!), h.finishCount(delayed)]).toEqual([1, 1]);
    expect((await queued[1]!.finished).outcome).toEqual({ ok: false, error: a.error });
    expect((await delayed.finished).outcome).toEqual({ ok: false, error: b.error });
    expect(h.pool.pending).toBe(3);
    expect(h.cancel(queued[1]!).cancelled).toBe(false); // already finished
    expect(h.pool.cancel(424_242, a.error, 0)).toBe(false); // never submitted
    gate.open(release);
    expect((await queued[0]!.finished).outcome).toEqual({ ok: true, value: 1 });
    expect((await queued[2]!.finished).outcome).toEqual({ ok: true, value: 3 });
    expect(h.startOrder()).toEqual([blocker.job.key, queued[0]!.job.key, queued[2]!.job.key]);
    await h.close();
  });

  it("drops a job buffered in a worker without running it, and keeps the worker", async () => {
    const h = new Harness(runtime);
    await Promise.all(Array.from({ length: 50 }, () => h.submit("noop").finished));
    const release = gate.path();
    // Submitted in one tick to a lane that prefetches: all three are sent to the worker together.
    const blocker = h.submit("waitForFile", [release], { priority: 10 });
    const dropped = h.submit("add", [1, 1]);
    const kept = h.submit("add", [2, 2]);
    const { workerId } = await blocker.started;
    const { cancelled, error } = h.cancel(dropped);
    expect(cancelled).toBe(true);
    // A thread's claim words are shared: taken back inside cancel(). A child's control thread answers.
    if (runtime === "thread") expect(h.finishCount(dropped)).toBe(1);
    expect((await dropped.finished).outcome).toEqual({ ok: false, error });
    expect(h.finishCount(blocker)).toBe(0);
    expect(h.events.some((e) => e.type === "start" && e.key === dropped.job.key)).toBe(false);
    gate.open(release);
    expect((await kept.finished).outcome).toEqual({ ok: true, value: 4 });
    expect((await kept.started).workerId).toBe(workerId);
    expect(h.events.some((e) => e.type === "start" && e.key === dropped.job.key)).toBe(false);
    await h.close();
  });

  it("does not run elsewhere a cancelled job whose worker died before it could drop it", async () => {
    const h = new Harness(runtime);
    await Promise.all(Array.from({ length: 50 }, () => h.submit("noop").finished));
    // The blocker holds the worker's thread, so the worker never reads the cancel; its timeout kills it.
    const blocker = h.submit("spinUntilFile", [gate.path()], { priority: 10, timeoutMs: 300 });
    const cancelled = h.submit("add", [1, 1]);
    const other = h.submit("add", [2, 2]);
    const { workerId } = await blocker.started;
    const { error } = h.cancel(cancelled);
    expect(errorOf((await blocker.finished).outcome).exceptionClassPath).toBe("TaskTimeout");
    expect((await cancelled.finished).outcome).toEqual({ ok: false, error });
    expect((await other.finished).outcome).toEqual({ ok: true, value: 4 });
    expect((await other.started).workerId).not.toBe(workerId);
    expect(h.events.some((e) => e.type === "start" && e.key === cancelled.job.key)).toBe(false);
    await h.close();
  });

  it.each(["return", "throw"] as const)(
    "aborts the signal of a running job, which stops cleanly (then does %s): it ends with the given error",
    async (after) => {
      const h = new Harness(runtime);
      const seen = gate.path();
      const running = h.submit("waitForAbort", [seen, after], { contextMeta: CONTEXT });
      const { workerId } = await running.started;
      const { cancelled, error } = h.cancel(running, "the user changed their mind");
      expect(cancelled).toBe(true);
      expect((await running.finished).outcome).toEqual({ ok: false, error });
      expect(gate.read(seen.slice(gate.dir.length + 1))).toBe("the user changed their mind");
      // Stopped by its own code: the worker was not killed.
      const next = h.submit("add", [3, 4]);
      expect((await next.finished).outcome).toEqual({ ok: true, value: 7 });
      expect((await next.started).workerId).toBe(workerId);
      await h.close();
    },
  );

  it("kills the worker of a running job that ignores its signal, after the grace", async () => {
    const h = new Harness(runtime);
    const running = h.submit("ignoresAbort", [gate.path()], { contextMeta: CONTEXT });
    const { workerId } = await running.started;
    const { cancelled, error } = h.cancel(running, "stop now", 200);
    expect(cancelled).toBe(true);
    expect((await running.finished).outcome).toEqual({ ok: false, error });
    const next = h.submit("add", [1, 2]);
    expect((await next.finished).outcome).toEqual({ ok: true, value: 3 });
    expect((await next.started).workerId).not.toBe(workerId);
    if (runtime === "process") await waitUntil(() => !isAlive(Number(workerId)), "the killed child is gone");
    await h.close();
  });

  it("kills a worker blocked in a synchronous job (no signal to see) after the grace", async () => {
    const h = new Harness(runtime);
    const running = h.submit("spinUntilFile", [gate.path()]);
    const { workerId } = await running.started;
    const { error } = h.cancel(running, "stop spinning", 100);
    expect((await running.finished).outcome).toEqual({ ok: false, error });
    const next = h.submit("add", [1, 1]);
    expect((await next.finished).outcome).toEqual({ ok: true, value: 2 });
    expect((await next.started).workerId).not.toBe(workerId);
    await h.close();
  });

  it("says false once the job finished, keeps the first cancellation, and beats close()", async () => {
    const h = new Harness(runtime);
    const done = h.submit("add", [1, 1]);
    await done.finished;
    expect(h.cancel(done).cancelled).toBe(false);
    const running = h.submit("ignoresAbort", [gate.path()], { contextMeta: CONTEXT });
    await running.started;
    const first = h.cancel(running, "first", 60_000);
    const second = h.cancel(running, "second", 0);
    expect([first.cancelled, second.cancelled]).toEqual([true, true]);
    // close() past its deadline fails held jobs with BackendClosed, but a cancelled one keeps its error.
    await h.close(100);
    expect((await running.finished).outcome).toEqual({ ok: false, error: first.error });
    expect(errorOf((await running.finished).outcome).message).toBe("first");
  });

  it("rejects a grace that is not a number >= 0", () => {
    const h = new Harness(runtime);
    const error = toTaskError(new Error("x"));
    expect(() => h.pool.cancel(1, error, -1)).toThrow(RangeError);
    expect(() => h.pool.cancel(1, error, Number.NaN)).toThrow(RangeError);
  });
});
