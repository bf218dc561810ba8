/**
 * The worker loop on its own, in this process, with a recording port: what it writes and when is
 * deterministic here, whatever the pool's prefetch decided.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFINE, RUN, STARTED, SUCCEEDED } from "../../src/pool/protocol.ts";
import { WorkerLoop } from "../../src/worker/loop.ts";
import { Gate, TASKS, waitUntil } from "./harness.ts";

describe("WorkerLoop", () => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("runs its buffer by priority then key, and writes at most once per job", async () => {
    const writes: unknown[][][] = [];
    const loop = new WorkerLoop({
      workerId: "w",
      send: (frames) => writes.push(frames as unknown[][]),
    });
    const frames = () => writes.flat();
    const keysOf = (code: number) => frames().flatMap((f) => (f[0] === code ? [f[1]] : []));
    const run = (key: number, ref: number, priority: number, args: unknown[]) =>
      [RUN, key, ref, priority, args, `r${key}`, 1, 0] as never;

    const release = gate.path();
    loop.receive([[DEFINE, 0, TASKS, "waitForFile"], [DEFINE, 1, TASKS, "add"], run(1, 0, 0, [release])]);
    loop.pump();
    await waitUntil(() => keysOf(STARTED).includes(1), "the blocker started");
    // Three deliveries while the blocker runs; the later ones are more urgent.
    for (const wave of [
      [run(2, 1, 1, [2, 0]), run(3, 1, 1, [3, 0])],
      [run(4, 1, 2, [4, 0])],
      [run(5, 1, 3, [5, 0]), run(6, 1, 3, [6, 0])],
    ]) {
      loop.receive(wave);
      loop.pump();
    }
    expect(keysOf(STARTED)).toEqual([1]); // buffered jobs are not started
    gate.open(release);
    await waitUntil(() => keysOf(SUCCEEDED).length === 6, "all jobs finished");
    expect(keysOf(STARTED)).toEqual([1, 5, 6, 4, 2, 3]);
    expect(frames().filter((f) => f[0] === SUCCEEDED && f[1] === 5)[0]?.[3]).toBe(5);
    // Every write carries at most one start, as its last frame: "finished previous + started next".
    for (const batch of writes) {
      const starts = batch.filter((f) => f[0] === STARTED);
      expect(starts.length).toBeLessThanOrEqual(1);
      if (starts.length === 1) expect(batch.at(-1)?.[0]).toBe(STARTED);
    }
  });
});
