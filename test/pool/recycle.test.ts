import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Gate, Harness, isAlive, type RuntimeKind, spyOnEngineTimers, waitUntil } from "./harness.ts";

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool recycling (%s)", (runtime) => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("retires a worker after maxTasksPerWorker jobs and replaces it, failing nothing", async () => {
    const h = new Harness(runtime, { default: { maxWorkers: 2 } }, { recycle: { maxTasksPerWorker: 3 } });
    // Short jobs, so the lane prefetches: the cap must hold however many a worker is handed at once.
    const handles = Array.from({ length: 20 }, (_, i) => h.submit("add", [i, 0]));
    const results = await Promise.all(handles.map((x) => x.finished));
    expect(results.map((r) => r.outcome)).toEqual(handles.map((_, i) => ({ ok: true, value: i })));
    const perWorker = new Map<string, number>();
    for (const handle of handles) {
      const { workerId } = await handle.started;
      perWorker.set(workerId, (perWorker.get(workerId) ?? 0) + 1);
    }
    expect(Math.max(...perWorker.values())).toBeLessThanOrEqual(3);
    expect(perWorker.size).toBeGreaterThanOrEqual(7); // 20 jobs, 3 per worker
    for (const info of h.pool.workerInfo()) expect(info.tasksDone).toBeLessThanOrEqual(3);
    // The retired ones leave; their exits are not crashes and fail nothing.
    const retired = [...perWorker].filter(([, n]) => n === 3).map(([id]) => id);
    await waitUntil(
      () => h.pool.workerInfo().every((w) => !retired.includes(w.workerId)),
      "the retired workers are gone",
    );
    if (runtime === "process")
      await waitUntil(() => retired.every((id) => !isAlive(Number(id))), "their children exited");
    expect(await h.run("add", [20, 0])).toEqual({ ok: true, value: 20 });
    expect(h.events.filter((e) => e.type === "finish" && !e.outcome.ok)).toEqual([]);
    await h.close();
  });

  it("retires a worker whose memory, reported after a job, is above maxWorkerMemoryMb", async () => {
    // A tsx child reports ~75 MB RSS when idle, a thread ~8 MB of heap; the job keeps 200 MB alive.
    const h = new Harness(runtime, undefined, { recycle: { maxWorkerMemoryMb: 150 } });
    const first = h.submit("hog", [0]);
    expect((await first.finished).outcome).toEqual({ ok: true, value: 1 });
    const { workerId } = await first.started;
    const [info] = h.pool.workerInfo();
    expect(info?.rssMb).toBeGreaterThan(0);
    expect(info?.rssMb).toBeLessThan(150);
    expect(info?.tasksDone).toBe(1);
    const big = h.submit("hog", [200]);
    // The module keeps what each job allocated: a worker that stayed would answer 3.
    expect((await big.finished).outcome).toEqual({ ok: true, value: 2 });
    expect((await big.started).workerId).toBe(workerId);
    const after = h.submit("hog", [0]);
    expect((await after.finished).outcome).toEqual({ ok: true, value: 1 });
    expect((await after.started).workerId).not.toBe(workerId);
    await waitUntil(() => h.pool.workerInfo().every((w) => w.workerId !== workerId), "the hungry worker is gone");
    expect(h.events.filter((e) => e.type === "finish" && !e.outcome.ok)).toEqual([]);
    await h.close();
  });

  it("reports no memory when maxWorkerMemoryMb is not set", async () => {
    const h = new Harness(runtime, undefined, { recycle: { maxTasksPerWorker: 100 } });
    expect(await h.run("add", [1, 1])).toEqual({ ok: true, value: 2 });
    expect(h.pool.workerInfo().map((w) => [w.rssMb, w.tasksDone])).toEqual([[null, 1]]);
    await h.close();
  });

  it("lets idle workers above minWorkers go after idleTimeoutMs, and keeps minWorkers", async () => {
    const spy = spyOnEngineTimers();
    try {
      const h = new Harness(
        runtime,
        { default: { maxWorkers: 3 } },
        { recycle: { idleTimeoutMs: 150, minWorkers: 1 } },
      );
      const gates = [gate.path(), gate.path(), gate.path()];
      const held = gates.map((path) => h.submit("waitForFile", [path]));
      await Promise.all(held.map((x) => x.started));
      expect(h.pool.workerInfo()).toHaveLength(3);
      for (const path of gates) gate.open(path);
      await Promise.all(held.map((x) => x.finished));
      await waitUntil(() => h.pool.workerInfo().length === 1, "two idle workers left");
      const [survivor] = h.pool.workerInfo();
      // It goes idle again; once the lane's idle timer has fired since, it must still be there.
      const reapers = () => spy.timers.filter((t) => t.file === "recycle.ts");
      const armed = reapers().length;
      const again = h.submit("add", [1, 1]);
      expect((await again.finished).outcome).toEqual({ ok: true, value: 2 });
      expect((await again.started).workerId).toBe(survivor?.workerId);
      await waitUntil(() => reapers().length > armed && reapers().every((t) => t.fired), "the idle timer fired");
      expect(h.pool.workerInfo().map((w) => w.workerId)).toEqual([survivor?.workerId]);
      expect(h.events.filter((e) => e.type === "finish" && !e.outcome.ok)).toEqual([]);
      await h.close();
    } finally {
      spy.restore();
    }
  });

  it("kills a retired worker that does not exit when told to", async () => {
    const h = new Harness(runtime, undefined, { recycle: { maxTasksPerWorker: 1 } });
    const wedged = h.submit("wedgesAfter");
    expect((await wedged.finished).outcome).toEqual({ ok: true, value: "done" });
    const { workerId } = await wedged.started;
    // The replacement does not wait for the stuck worker to go.
    const next = h.submit("add", [1, 1]);
    expect((await next.finished).outcome).toEqual({ ok: true, value: 2 });
    expect((await next.started).workerId).not.toBe(workerId);
    await waitUntil(() => h.pool.workerInfo().every((w) => w.workerId !== workerId), "the stuck worker is killed");
    if (runtime === "process") await waitUntil(() => !isAlive(Number(workerId)), "its child is gone");
    await h.close();
  });

  it("rejects recycling options the engine cannot use", () => {
    const make = (recycle: object) => () => new Harness(runtime, undefined, { recycle });
    expect(make({ maxTasksPerWorker: 0 })).toThrow(RangeError);
    expect(make({ maxTasksPerWorker: 1.5 })).toThrow(RangeError);
    expect(make({ maxWorkerMemoryMb: -1 })).toThrow(RangeError);
    expect(make({ idleTimeoutMs: Number.NaN })).toThrow(RangeError);
    expect(make({ minWorkers: -1 })).toThrow(RangeError);
  });
});
