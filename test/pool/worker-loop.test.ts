/**
 * The worker loop on its own, in this process, with a recording port: what it writes and when is
 * deterministic here, whatever the pool's prefetch decided.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClaimWords, claimBuffer, TAKEN, TAKEN_IMPORTING } from "../../src/wire/claims.ts";
import { encodeBatch } from "../../src/wire/framing.ts";
import {
  CANCEL,
  CONFIGURE,
  DEFINE,
  DROPPED,
  EXIT,
  FAILED,
  LOADING,
  MEMORY,
  RUN,
  STARTED,
  SUCCEEDED,
} from "../../src/wire/protocol.ts";
import { WorkerLoop } from "../../src/worker/loop.ts";
import { Gate, TASKS, waitUntil } from "./harness.ts";

/** A loop with a recording port; `claims` is the pool's side of its claim words. */
function recordingLoop() {
  const writes: unknown[][][] = [];
  let exits = 0;
  const buffer = claimBuffer();
  const loop = new WorkerLoop({
    workerId: "w",
    // Through the child process's line encoding, as the parent would read it.
    send: (frames) => writes.push(JSON.parse(encodeBatch(frames)) as unknown[][]),
    memoryBytes: () => 42 * 1024 * 1024,
    exit: () => {
      exits++;
    },
    claims: new ClaimWords(buffer),
  });
  const frames = () => writes.flat();
  const keysOf = (code: number) => frames().flatMap((f) => (f[0] === code ? [f[1]] : []));
  return { loop, writes, frames, keysOf, exits: () => exits, claims: new ClaimWords(buffer) };
}

/** A RUN frame; the job's claim seq is its key. */
const run = (key: number, ref: number, priority: number, args: unknown[], meta: unknown = 0) =>
  [RUN, key, ref, priority, args, `r${key}`, 1, meta, key] as never;
const CONTEXT = { id: "r", backend: "t", enqueuedAt: 0, startedAt: null, workerIds: [], errors: [] };

describe("WorkerLoop", () => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("runs its buffer by priority then key, and writes at most once per job", async () => {
    const { loop, writes, frames, keysOf } = recordingLoop();

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

  it("skips a job the pool took back, aborts a cancelled running one, and ignores unknown keys", async () => {
    const { loop, frames, keysOf, claims } = recordingLoop();
    const seen = gate.path();
    loop.receive([
      [DEFINE, 0, TASKS, "waitForAbort"],
      [DEFINE, 1, TASKS, "add"],
      run(1, 0, 1, [seen, "return"], CONTEXT),
      run(2, 1, 0, [1, 1]),
      run(3, 1, 0, [2, 2]),
    ] as never);
    loop.pump();
    await waitUntil(() => keysOf(STARTED).includes(1), "the first job started");
    // The pool takes job 2 back by itself, without a frame to this loop.
    expect(claims.withdraw(2, false)).toBe(TAKEN);
    loop.receive([[CANCEL, 99, "unknown"]] as never);
    loop.receive([[CANCEL, 2, "not running"]] as never);
    loop.receive([[CANCEL, 1, "stop it"]] as never);
    loop.pump();
    await waitUntil(() => keysOf(SUCCEEDED).length === 2, "the others finished");
    expect(gate.read(seen.slice(gate.dir.length + 1))).toBe("stop it");
    expect(keysOf(STARTED)).toEqual([1, 3]);
    expect(keysOf(DROPPED)).toEqual([]);
    expect(frames().filter((f) => f[0] === FAILED)).toEqual([]);
  });

  it("gives a context task a view of its result built from the attempt's metadata", async () => {
    const { loop, frames, keysOf } = recordingLoop();
    const meta = { id: "r7", backend: "b", enqueuedAt: 5, startedAt: 6, workerIds: ["w0"], errors: [] };
    loop.receive([[DEFINE, 0, TASKS, "withProgress"], run(1, 0, 0, [0], meta)] as never);
    loop.pump();
    await waitUntil(() => keysOf(SUCCEEDED).length === 1, "the job finished");
    const done = frames().find((f) => f[0] === SUCCEEDED)!;
    // This worker's id comes last: the parent cannot know which worker runs the attempt.
    expect(done[3]).toEqual({ attempt: 1, resultId: "r7", workerIds: ["w0", "w"] });
    // Unless the feeder records the attempt under an id of its own (a database worker).
    loop.receive([run(2, 0, 0, [0], { ...meta, attemptWorkerId: "db-1" })] as never);
    loop.pump();
    await waitUntil(() => keysOf(SUCCEEDED).length === 2, "the second job finished");
    const second = frames().filter((f) => f[0] === SUCCEEDED)[1]!;
    expect(second[3]).toEqual({ attempt: 1, resultId: "r7", workerIds: ["w0", "db-1"] });
  });

  it("fails a context task sent without context metadata, saying so, and runs nothing", async () => {
    const { loop, frames, keysOf } = recordingLoop();
    loop.receive([
      [DEFINE, 0, TASKS, "withProgress"],
      [DEFINE, 1, TASKS, "add"],
      run(1, 0, 0, [0]),
      run(2, 1, 0, [1, 2]),
    ] as never);
    loop.pump();
    await waitUntil(() => keysOf(SUCCEEDED).length === 1, "the next job finished");
    const failed = frames().find((f) => f[0] === FAILED)!;
    expect(failed[1]).toBe(1);
    expect((failed[3] as { message: string }).message).toMatch(
      /withProgress takes a context, but the pool sent no context metadata for result r1/,
    );
    expect(keysOf(STARTED)).toEqual([2]);
  });

  it("lets go of a job taken back while its module was imported (DROPPED), then goes on", async () => {
    const { loop, keysOf, claims } = recordingLoop();
    loop.receive([[DEFINE, 0, TASKS, "add"], run(1, 0, 0, [1, 1]), run(2, 0, 0, [2, 2])] as never);
    loop.pump();
    // The import has begun (job 1 is claimed for it): a cancel takes it all the same.
    expect(keysOf(LOADING)).toEqual([1]);
    expect(claims.withdraw(1, true)).toBe(TAKEN_IMPORTING);
    await waitUntil(() => keysOf(SUCCEEDED).length === 1, "the next job finished");
    expect(keysOf(DROPPED)).toEqual([1]);
    expect(keysOf(STARTED)).toEqual([2]);
  });

  it("reports memory after each job only once configured", async () => {
    const { loop, frames, keysOf } = recordingLoop();
    loop.receive([[DEFINE, 0, TASKS, "add"], run(1, 0, 0, [1, 1])] as never);
    loop.pump();
    await waitUntil(() => keysOf(SUCCEEDED).length === 1, "the first job finished");
    expect(frames().filter((f) => f[0] === MEMORY)).toEqual([]);
    loop.receive([[CONFIGURE, true], run(2, 0, 0, [2, 2]), run(3, 0, 0, [3, 3])] as never);
    loop.pump();
    await waitUntil(() => keysOf(SUCCEEDED).length === 3, "the others finished");
    // Each after its job's result, in the same write.
    expect(
      frames()
        .filter((f) => f[0] === SUCCEEDED || f[0] === MEMORY)
        .map((f) => f[0]),
    ).toEqual([SUCCEEDED, SUCCEEDED, MEMORY, SUCCEEDED, MEMORY]);
    expect(frames().filter((f) => f[0] === MEMORY)).toEqual([
      [MEMORY, 42],
      [MEMORY, 42],
    ]);
  });

  it("on EXIT or stop(), finishes and reports the current job, starts no other, then exits", async () => {
    const { loop, keysOf, exits } = recordingLoop();
    const release = gate.path();
    loop.receive([[DEFINE, 0, TASKS, "waitForFile"], [DEFINE, 1, TASKS, "add"], run(1, 0, 1, [release])] as never);
    loop.pump();
    await waitUntil(() => keysOf(STARTED).includes(1), "the job started");
    loop.receive([run(2, 1, 0, [1, 1]), [EXIT]] as never);
    loop.pump();
    expect(exits()).toBe(0);
    gate.open(release);
    await waitUntil(() => exits() === 1, "the loop exited");
    expect(keysOf(SUCCEEDED)).toEqual([1]);
    expect(keysOf(STARTED)).toEqual([1]);
    loop.stop(); // a second request changes nothing
    expect(exits()).toBe(1);

    const idle = recordingLoop();
    idle.loop.stop();
    expect(idle.exits()).toBe(1);
  });
});
