import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Gate, Harness, type RuntimeKind } from "./harness.ts";

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool scheduling (%s)", (runtime) => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("runs a job and reports start and finish with the worker's id", async () => {
    const h = new Harness(runtime);
    const handle = h.submit("add", [2, 3]);
    const started = await handle.started;
    const finished = await handle.finished;
    expect(finished.outcome).toEqual({ ok: true, value: 5 });
    expect(started.workerId).toMatch(runtime === "process" ? /^\d+$/ : /^thread-\d+$/);
    expect(finished.at).toBeGreaterThanOrEqual(started.at);
    const [info] = h.pool.workerInfo();
    expect(info?.workerId).toBe(started.workerId);
    if (runtime === "process") expect(info?.pid).toBe(Number(started.workerId));
    else expect(`thread-${info?.threadId}`).toBe(started.workerId);
    await h.close();
  });

  it("keeps each lane within maxWorkers, forks lazily and reuses workers", async () => {
    const h = new Harness(runtime, { a: { maxWorkers: 2 }, b: { maxWorkers: 1 } });
    expect(h.pool.workerInfo()).toEqual([]); // nothing forked before work arrives
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const workersByLane = new Map<string, Set<string>>();
    const handles = [];
    for (let i = 0; i < 12; i++) handles.push(h.submit("sleepMs", [5], { lane: "a" }));
    for (let i = 0; i < 6; i++) handles.push(h.submit("sleepMs", [5], { lane: "b" }));
    await Promise.all(handles.map((x) => x.finished));
    for (const event of h.events) {
      if (event.type === "start") {
        const n = (running.get(event.lane) ?? 0) + 1;
        running.set(event.lane, n);
        peak.set(event.lane, Math.max(peak.get(event.lane) ?? 0, n));
        const ids = workersByLane.get(event.lane) ?? new Set();
        ids.add(event.workerId);
        workersByLane.set(event.lane, ids);
      } else if (event.type === "finish") {
        running.set(event.lane, (running.get(event.lane) ?? 0) - 1);
      }
    }
    expect(peak.get("a")).toBeLessThanOrEqual(2);
    expect(peak.get("b")).toBe(1);
    expect(workersByLane.get("a")?.size).toBeLessThanOrEqual(2);
    expect(workersByLane.get("b")?.size).toBe(1);
    await h.close();
  });

  it("runs a job on a free lane while another lane is saturated", async () => {
    const h = new Harness(runtime, { busy: { maxWorkers: 2 }, free: { maxWorkers: 1 } });
    const gates = [gate.path(), gate.path()];
    const blockers = gates.map((path) => h.submit("waitForFile", [path], { lane: "busy" }));
    const queued = h.submit("add", [1, 1], { lane: "busy" });
    // Both blockers run at once: the lane is at its bound and the third job waits.
    await Promise.all(blockers.map((b) => b.started));
    expect(h.pool.workerInfo().filter((w) => w.lane === "busy")).toHaveLength(2);
    const free = await h.submit("add", [20, 22], { lane: "free" }).finished;
    expect(free.outcome).toEqual({ ok: true, value: 42 });
    expect(h.events.some((e) => e.type === "finish" && e.lane === "busy")).toBe(false);
    for (const path of gates) gate.open(path);
    expect((await queued.finished).outcome).toEqual({ ok: true, value: 2 });
    await h.close();
  });

  it("does not buffer a job behind a busy worker while the lane may still fork one", async () => {
    const h = new Harness(runtime, { default: { maxWorkers: 2 } });
    // One at a time: one worker is enough, and the lane learns that jobs are short.
    for (let i = 0; i < 30; i++) await h.run("noop");
    expect(h.pool.workerInfo()).toHaveLength(1);
    const gates = [gate.path(), gate.path()];
    const blockers = gates.map((path) => h.submit("waitForFile", [path]));
    // Both run at once: the second was not parked in the first worker's buffer.
    const started = await Promise.all(blockers.map((b) => b.started));
    expect(new Set(started.map((s) => s.workerId)).size).toBe(2);
    for (const path of gates) gate.open(path);
    await Promise.all(blockers.map((b) => b.finished));
    await h.close();
  });

  it("starts the highest priority first, FIFO among equals", async () => {
    const h = new Harness(runtime);
    const release = gate.path();
    const blocker = h.submit("waitForFile", [release]);
    await blocker.started;
    const priorities = [0, 5, -3, 5, 100, 0, -100, 5, 99];
    const handles = priorities.map((priority, i) => h.submit("add", [i, 0], { priority }));
    gate.open(release);
    await Promise.all(handles.map((x) => x.finished));
    const expected = handles
      .map((x, i) => ({ key: x.job.key, priority: priorities[i]! }))
      .sort((a, b) => b.priority - a.priority || a.key - b.key)
      .map((x) => x.key);
    expect(h.startOrder()).toEqual([blocker.job.key, ...expected]);
    await h.close();
  });

  it("holds runAfter jobs until they are due, then queues them by priority", async () => {
    const h = new Harness(runtime);
    await h.run("noop"); // a warm worker, so the delay is not hidden by a fork
    const runAfter = Date.now() + 150;
    const delayed = h.submit("add", [1, 2], { runAfter, priority: 100 });
    const now = h.submit("add", [3, 4], { priority: -100 });
    const past = h.submit("add", [5, 6], { runAfter: Date.now() - 1000 });
    const [d, n, p] = await Promise.all([delayed.finished, now.finished, past.finished]);
    expect([d.outcome, n.outcome, p.outcome]).toEqual([
      { ok: true, value: 3 },
      { ok: true, value: 7 },
      { ok: true, value: 11 },
    ]);
    expect((await delayed.started).at).toBeGreaterThanOrEqual(runAfter);
    const order = h.startOrder();
    expect(order.indexOf(delayed.job.key)).toBeGreaterThan(order.indexOf(now.job.key));
    await h.close();
  });

  it("reports the start before a synchronous job blocks the worker", async () => {
    const h = new Harness(runtime);
    const release = gate.path();
    const handle = h.submit("spinUntilFile", [release]);
    // The job spins until the file exists, and the file is only created once onStart arrived: a
    // start message held back until the job ends would deadlock here.
    await handle.started;
    gate.open(release);
    expect((await handle.finished).outcome).toEqual({ ok: true, value: true });
    await h.close();
  });

  it("stamps start and finish with the worker's clock around a 300 ms busy loop", async () => {
    const h = new Harness(runtime);
    const handle = h.submit("busyLoop", [300]);
    const started = await handle.started;
    const finished = await handle.finished;
    expect(finished.outcome).toEqual({ ok: true, value: true });
    expect(finished.at - started.at).toBeGreaterThanOrEqual(300);
    // Received while the loop was still running, not together with the finish.
    expect(started.receivedAt).toBeLessThan(finished.at);
    await h.close();
  });

  it("delivers progress and a context with result id, attempt and worker id", async () => {
    const h = new Harness(runtime);
    const contextMeta = {
      id: "result-1",
      backend: "pool",
      enqueuedAt: Date.now(),
      startedAt: null,
      workerIds: [],
      errors: [],
    };
    const handle = h.submit("withProgress", [3], { contextMeta });
    const { workerId } = await handle.started;
    const { outcome } = await handle.finished;
    expect(outcome).toEqual({ ok: true, value: { attempt: 1, resultId: "result-1", workerIds: [workerId] } });
    const progress = h.events.flatMap((e) => (e.type === "progress" ? [e.progress] : []));
    expect(progress).toEqual([1, 2, 3].map((i) => ({ current: i, total: 3, message: `step ${i}` })));
    await h.close();
  });

  it("sets currentResultId() inside the task", async () => {
    const h = new Harness(runtime);
    const outcome = await h.run("whoAmI");
    expect(outcome.ok && (outcome.value as { resultId: string }).resultId).toBe("result-1");
    await h.close();
  });
});
