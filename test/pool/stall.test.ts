/**
 * A parent whose event loop was blocked (issue 9, item 7): timers that expired during the stall must
 * not beat the results the workers sent meanwhile.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Gate, Harness, type RuntimeKind } from "./harness.ts";

const CONTROL = new URL("../fixtures/hostile/control.ts", import.meta.url).href;

/** Holds this thread (the pool's parent) for `ms`, the way a synchronous request handler would. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool after a stalled parent (%s)", (runtime) => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("keeps 300 ms jobs that finished during a 5 s stall SUCCESSFUL, run once, on the same workers", async () => {
    const h = new Harness(runtime, { default: { maxWorkers: 2 } });
    const file = gate.path();
    const jobs = ["a", "b"].map((label) =>
      h.submit("sleepAndCount", [300, file, label], { module: CONTROL, timeoutMs: 2_000 }),
    );
    await Promise.all(jobs.map((j) => j.started));
    const workers = h.pool.workerInfo().map((w) => w.workerId);
    // Both timeouts expire during the stall, and both results wait in the channel when it ends. From
    // the check phase, as a request handler's would: the expired timers come before the next read.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        stall(5_000);
        resolve();
      }),
    );
    const finished = await Promise.all(jobs.map((j) => j.finished));
    expect(finished.map((f) => f.outcome)).toEqual([
      { ok: true, value: "a" },
      { ok: true, value: "b" },
    ]);
    expect(readFileSync(file, "utf8").split("\n").filter(Boolean).sort()).toEqual(["a", "b"]);
    expect(h.pool.workerInfo().map((w) => w.workerId)).toEqual(workers);
    await h.close();
  });
});
