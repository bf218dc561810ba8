import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BucketQueue } from "../../src/pool/bucket-queue.ts";
import { DelayHeap } from "../../src/pool/delay-heap.ts";
import { DelayedJobs } from "../../src/pool/delayed.ts";
import { Deque } from "../../src/pool/deque.ts";
import { handAheadRoom } from "../../src/pool/dispatcher.ts";
import { Lane, MAX_HELD_PER_WORKER } from "../../src/pool/lane.ts";
import { inheritedExecArgv } from "../../src/pool/runtime/entry.ts";
import type { RuntimeWorker } from "../../src/pool/runtime/types.ts";
import type { PoolJob } from "../../src/pool/types.ts";
import { WorkerSlot } from "../../src/pool/worker-slot.ts";
import { flagsLoadTsx as execArgvLoadsTsx, isTypeScriptPath as isTypeScriptUrl } from "../../src/typescript.ts";
import { encodeBatch, LineReader, MalformedFrame } from "../../src/wire/framing.ts";
import {
  decodePayload,
  decodeValues,
  encodePayload,
  Payload,
  receivedArgs,
  textPayloads,
} from "../../src/wire/payload.ts";
import { DEFINE, RUN, SUCCEEDED } from "../../src/wire/protocol.ts";
import { type BufferedJob, JobBuffer } from "../../src/worker/job-buffer.ts";
import { poolJob } from "../support/pool-job.ts";

describe("Deque", () => {
  it("pushes and pops at both ends across growth and wrap-around", () => {
    const d = new Deque<number>();
    const model: number[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 3 === 0) {
        d.unshift(i);
        model.unshift(i);
      } else {
        d.push(i);
        model.push(i);
      }
      if (i % 5 === 0) expect(d.shift()).toBe(model.shift());
    }
    expect(d.size).toBe(model.length);
    while (model.length > 0) expect(d.shift()).toBe(model.shift());
    expect(d.shift()).toBeUndefined();
  });
});

describe("BucketQueue", () => {
  it("pops by priority, FIFO among equals, with unshift going to the front", () => {
    const q = new BucketQueue<{ priority: number; id: string }>();
    for (const [priority, id] of [
      [0, "a"],
      [5, "b"],
      [-100, "c"],
      [5, "d"],
      [100, "e"],
      [0, "f"],
    ] as const) {
      q.push({ priority, id });
    }
    q.unshift({ priority: 0, id: "front" });
    expect(q.size).toBe(7);
    const order: string[] = [];
    for (let item = q.pop(); item !== undefined; item = q.pop()) order.push(item.id);
    expect(order).toEqual(["e", "b", "d", "front", "a", "f", "c"]);
    expect(q.size).toBe(0);
  });

  it("rejects priorities outside -100..100", () => {
    const q = new BucketQueue<{ priority: number }>();
    expect(() => q.push({ priority: 101 })).toThrow(RangeError);
  });
});

describe("DelayHeap", () => {
  it("pops by runAfter, then key", () => {
    const heap = new DelayHeap<{ key: number; runAfter: number }>();
    const items = Array.from({ length: 200 }, (_, i) => ({ key: i, runAfter: (i * 7919) % 50 }));
    for (const item of items) heap.push(item);
    const out: number[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item.key);
    const expected = [...items].sort((a, b) => a.runAfter - b.runAfter || a.key - b.key).map((i) => i.key);
    expect(out).toEqual(expected);
  });
});

describe("JobBuffer (the worker's prefetch buffer)", () => {
  it("hands out jobs by priority, then key, whatever the arrival order", () => {
    const buffer = new JobBuffer();
    const job = (key: number, priority: number): BufferedJob => ({
      key,
      priority,
      ref: 0,
      args: [],
      resultId: "",
      attempt: 1,
      meta: null,
      seq: key,
    });
    for (const [key, priority] of [
      [1, 0],
      [2, 0],
      [5, 3],
      [3, -1],
      [4, 3],
      [6, 0],
    ] as const) {
      buffer.insert(job(key, priority));
    }
    expect(buffer.shift()?.key).toBe(4);
    buffer.insert(job(7, 10));
    const order: number[] = [];
    for (let j = buffer.shift(); j !== undefined; j = buffer.shift()) order.push(j.key);
    expect(order).toEqual([7, 5, 1, 2, 6, 3]);
  });
});

describe("Lane cancellation (tombstones)", () => {
  it("skips dropped jobs when popping, counts only live ones, and lets go once none is live", () => {
    const lane = new Lane("default", 1);
    for (const [key, priority] of [
      [1, 0],
      [2, 5],
      [3, 0],
      [4, 5],
    ] as const) {
      lane.queue.push(poolJob(key, { priority }));
    }
    lane.drop(2);
    lane.drop(3);
    expect(lane.waiting).toBe(2);
    expect(lane.pop().key).toBe(4);
    expect(lane.pop().key).toBe(1);
    expect(lane.waiting).toBe(0);
    for (const key of [5, 6]) lane.queue.push(poolJob(key));
    lane.drop(5);
    expect(lane.drain().map((j) => j.key)).toEqual([6]);
    lane.queue.push(poolJob(7));
    lane.drop(7);
    // Everything left was cancelled: the queue and the tombstones are emptied at once.
    expect([lane.queue.size, lane.cancelled.size, lane.waiting]).toEqual([0, 0, 0]);
  });
});

describe("DelayedJobs cancellation", () => {
  it("removes a delayed job so that it is neither due nor taken", () => {
    const due: number[] = [];
    const delayed = new DelayedJobs((job) => due.push(job.key));
    const later = Date.now() + 3_600_000;
    for (const key of [1, 2, 3]) delayed.add(poolJob(key, { runAfter: later + key }));
    expect(delayed.cancel(2)).toBe(true);
    expect(delayed.cancel(2)).toBe(false);
    expect(delayed.cancel(9)).toBe(false);
    expect(delayed.size).toBe(2);
    expect(
      delayed
        .take(() => true)
        .map((j) => j.key)
        .sort(),
    ).toEqual([1, 3]);
    expect(delayed.size).toBe(0);
    delayed.add(poolJob(4, { runAfter: later }));
    expect(delayed.cancel(4)).toBe(true);
    expect(delayed.size).toBe(0);
    delayed.dispose();
    expect(due).toEqual([]);
  });
});

describe("LineReader", () => {
  it("parses every complete batch of a chunk at once and keeps the partial rest", () => {
    const reader = new LineReader();
    const text = encodeBatch([[1, "a\nb"], [2]]) + encodeBatch([[3, { x: 1 }]]);
    expect(reader.push(text.slice(0, 5))).toBeNull();
    const cut = text.indexOf("\n") + 3;
    expect(reader.push(text.slice(5, cut))).toEqual([[[1, "a\nb"], [2]]]);
    expect(reader.push(text.slice(cut))).toEqual([[[3, { x: 1 }]]]);
    expect(reader.pending).toBe(false);
    expect(reader.push("[[4,")).toBeNull();
    expect(reader.pending).toBe(true);
  });

  it("gives back every batch, whole and in order, however the lines are cut into chunks", () => {
    // Long lines cut into many chunks (some holding no newline at all, some ending on one), as
    // large arguments arrive; short ones several to a chunk.
    const frame = fc.tuple(fc.integer({ min: 1, max: 20 }), fc.oneof(fc.string({ maxLength: 3000 }), fc.jsonValue()));
    const batch = fc.array(frame, { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(
        fc.array(batch, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (batches, cuts) => {
          const text = batches.map((b) => encodeBatch(b)).join("");
          const at = [...new Set(cuts.map((c) => c % text.length))].sort((a, b) => a - b);
          const reader = new LineReader();
          const out: unknown[][] = [];
          let from = 0;
          for (const to of [...at, text.length]) {
            if (to <= from) continue;
            out.push(...(reader.push(text.slice(from, to)) ?? []));
            from = to;
          }
          return !reader.pending && isDeepStrictEqual(out, JSON.parse(JSON.stringify(batches)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a line that is not a batch of frames, saying which, with the intact batches before it", () => {
    const bad = (text: string) => {
      try {
        new LineReader().push(text);
      } catch (error) {
        expect(error).toBeInstanceOf(MalformedFrame);
        return { message: (error as MalformedFrame).message, before: (error as MalformedFrame).before };
      }
      throw new Error("no error");
    };
    expect(bad(`${encodeBatch([[13, 1, 5, null]])}not json\n[[12,2,6]]\n`)).toEqual({
      message: 'not JSON: "not json"',
      before: [[[13, 1, 5, null]]],
    });
    expect(bad('{"a":1}\n').message).toBe('not a batch of frames: "{\\"a\\":1}"');
    expect(bad("42\n").message).toBe('not a batch of frames: "42"');
    expect(bad('[["x"]]\n').message).toMatch(/not a batch of frames/);
    // Two halves that would make valid JSON together are still caught line by line.
    expect(bad("[1\n2]\n").message).toBe('not JSON: "[1"');
  });
});

describe("payloads encoded once (payload.ts)", () => {
  const meta = { id: "r", backend: "b", enqueuedAt: 1, startedAt: null, workerIds: ['w"1'], errors: [] };
  const args = [{ name: "a\nb", list: [1, -0, "\u2028"], x: null }];
  // Large and plain: packed. With a lone surrogate or a "__proto__" key: JSON, whatever its size.
  const rows = Array.from({ length: 300 }, (_, i) => ({ id: i, name: `row-${i}`, tags: ["a", "b"], score: i / 8 }));
  const lone = [...rows, "\ud800"];
  const proto = [...rows, JSON.parse('{"__proto__": 1}') as object];
  const asValues = () => [
    [DEFINE, 0, "file:///t.mjs", "t"],
    [RUN, 1, 0, -3, args, 'r"1', 2, meta, 7],
    [RUN, 2, 0, 0, [rows], "r2", 1, 0, 8],
    [SUCCEEDED, 1, 5, rows],
    [SUCCEEDED, 2, 6, "text"],
    [SUCCEEDED, 3, 7, lone],
    [SUCCEEDED, 4, 8, proto],
  ];
  const asPayloads = () => [
    [DEFINE, 0, "file:///t.mjs", "t"],
    [RUN, 1, 0, -3, encodePayload(args, "args"), 'r"1', 2, meta, 7],
    [RUN, 2, 0, 0, encodePayload([rows], "args"), "r2", 1, 0, 8],
    [SUCCEEDED, 1, 5, encodePayload(rows, "returnValue")],
    [SUCCEEDED, 2, 6, encodePayload("text", "returnValue")],
    [SUCCEEDED, 3, 7, encodePayload(lone, "returnValue")],
    [SUCCEEDED, 4, 8, encodePayload(proto, "returnValue")],
  ];
  const asJson = () => JSON.parse(JSON.stringify(asValues())) as unknown[][];
  /** What each side makes of the frames: the pool decodes values, a worker a RUN's arguments as it runs. */
  const arrive = (frames: unknown[][], jsonAsText: boolean) => {
    decodeValues(frames, jsonAsText);
    for (const frame of frames) {
      if (frame[0] !== RUN) continue;
      const args = receivedArgs(frame);
      frame[4] = args instanceof Payload ? decodePayload(args) : args;
      frame.length = 9;
    }
    return frames;
  };

  it("packs only a large value that msgpackr keeps as it is", () => {
    expect(asPayloads().flatMap((f) => (f[4] instanceof Payload ? [f[4].packed] : []))).toEqual([false, true]);
    expect(asPayloads().flatMap((f) => (f[3] instanceof Payload ? [f[3].packed] : []))).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(decodePayload(encodePayload(lone, "v"))).toEqual(JSON.parse(JSON.stringify(lone)));
    expect(Object.hasOwn((decodePayload(encodePayload(proto, "v")) as object[])[300]!, "__proto__")).toBe(true);
  });

  it("cross a child's line and arrive as the values would by JSON", () => {
    const line = encodeBatch(asPayloads());
    expect(line).not.toBe(encodeBatch(asValues())); // the large ones are packed
    const [batch] = new LineReader().push(line)!;
    expect(arrive(batch as unknown[][], false)).toEqual(asJson());
  });

  it("cross a thread's port as strings and arrive as the values would by JSON", () => {
    const frames = asPayloads();
    textPayloads(frames);
    expect(frames.every((f) => !f.some((e) => e instanceof Payload))).toBe(true);
    expect(arrive(structuredClone(frames), true)).toEqual(asJson());
  });

  it("an upper bound of the JSON bytes goes with each", () => {
    for (const value of [args, rows, lone, proto, "é€😀"]) {
      expect(encodePayload(value, "v").jsonBound).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(value)));
    }
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), (value) => {
        const payload = encodePayload(value, "args");
        return (
          payload.jsonBound >= Buffer.byteLength(JSON.stringify(value)) &&
          isDeepStrictEqual(decodePayload(payload), JSON.parse(JSON.stringify(value)))
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("WorkerSlot batches", () => {
  /** A slot whose worker only records the batches it is sent (no runtime behind it). */
  const recordingSlot = () => {
    const sent: unknown[][] = [];
    const worker = {
      id: "w",
      send: (frames: readonly unknown[]) => sent.push([...frames]),
    } as unknown as RuntimeWorker;
    const slot = new WorkerSlot(
      new Lane<WorkerSlot>("default", 1),
      () => worker,
      () => {},
    );
    let key = 0;
    const job = (args: PoolJob["args"]) => poolJob(++key, { args });
    return { slot, sent, job };
  };
  const runKeys = (batch: unknown[]) =>
    batch.filter((f) => (f as unknown[])[0] === RUN).map((f) => (f as unknown[])[1]);

  it("sends a batch as soon as its arguments reach 64 KB, so a worker starts on the first while the rest travel", () => {
    const { slot, sent, job } = recordingSlot();
    const big = new Payload("x".repeat(40 * 1024), false, 40 * 1024);
    for (let i = 0; i < 5; i++) slot.give(job(big), 0);
    expect(sent.map(runKeys)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    slot.flush();
    expect(sent.map(runKeys)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("keeps small jobs for one batch at the end of the dispatch pass", () => {
    const { slot, sent, job } = recordingSlot();
    for (let i = 0; i < 64; i++) slot.give(job(encodePayload([i], "args")), 0);
    expect(sent).toEqual([]);
    slot.flush();
    expect(sent.map(runKeys)).toEqual([Array.from({ length: 64 }, (_, i) => i + 1)]);
  });
});

describe("handAheadRoom (time-bounded look-ahead)", () => {
  const now = 10_000;

  it("hands ahead what a worker is expected to start within the budget, and at most the cap", () => {
    // Idle so far (the first job handed now starts about now), at 0.5 ms a job: 3 within 1.5 ms, +1.
    expect(handAheadRoom(0, null, 0.5, now)).toBe(4);
    expect(handAheadRoom(3, null, 0.5, now)).toBe(1);
    expect(handAheadRoom(4, null, 0.5, now)).toBe(0);
    expect(handAheadRoom(1, null, 0, now)).toBe(MAX_HELD_PER_WORKER - 1);
    expect(handAheadRoom(MAX_HELD_PER_WORKER, null, 0, now)).toBe(0);
    // Long jobs: nothing ahead.
    expect(handAheadRoom(1, null, 300, now)).toBe(0);
  });

  it("counts what is left of the running job by how long it has run, not only by the average", () => {
    // 0.5 ms a job; the running one started just now: the next three start within the budget.
    expect(handAheadRoom(1, now, 0.5, now)).toBe(3);
    // It has run for 1 ms, past its average but within the budget: the next would start about now.
    expect(handAheadRoom(1, now - 1, 0.5, now)).toBe(4);
    // Past the average by more than the budget: its end is unknown, nothing more is handed to it.
    expect(handAheadRoom(1, now - 3, 0.5, now)).toBe(0);
    expect(handAheadRoom(1, now - 3, 0, now)).toBe(0);
  });
});

describe("Lane.mayHandAhead", () => {
  it("hands nothing ahead until run times are known", () => {
    const lane = new Lane("default", 1);
    lane.workers.push({} as WorkerSlot);
    expect(lane.mayHandAhead()).toBe(false);
    lane.recordRunTime(300);
    expect(lane.mayHandAhead()).toBe(true);
  });

  it("hands nothing ahead while the lane may still fork a worker, unless it is in start-up backoff", () => {
    const lane = new Lane("default", 2);
    lane.recordRunTime(0);
    lane.workers.push({} as WorkerSlot);
    expect(lane.mayHandAhead()).toBe(false); // one worker of two
    lane.workers.push({} as WorkerSlot);
    lane.starting = 1;
    expect(lane.mayHandAhead()).toBe(false); // the second is not up yet
    lane.starting = 0;
    expect(lane.mayHandAhead()).toBe(true);
    lane.leaving = 1;
    expect(lane.mayHandAhead()).toBe(false); // one is on its way out
    lane.recordFailure(Date.now());
    expect(lane.mayHandAhead()).toBe(true);
  });
});

describe("worker flags", () => {
  it("drops debugger, eval and watch flags from the inherited execArgv", () => {
    expect(
      inheritedExecArgv([
        "--inspect=9229",
        "--inspect-brk",
        "--import",
        "tsx",
        "--debug-port",
        "1234",
        "-e",
        "code()",
        "--watch",
        "--max-old-space-size=100",
        "--conditions=development",
      ]),
    ).toEqual(["--import", "tsx", "--max-old-space-size=100", "--conditions=development"]);
  });

  it("recognises tsx among loader flags, and TypeScript module URLs", () => {
    expect(execArgvLoadsTsx(["--import", "tsx"])).toBe(true);
    expect(execArgvLoadsTsx(["--import=file:///x/node_modules/tsx/dist/esm/index.mjs"])).toBe(true);
    expect(execArgvLoadsTsx(["--loader", "tsx/esm"])).toBe(true);
    expect(execArgvLoadsTsx(["--import", "./setup.mjs", "--conditions", "tsx"])).toBe(false);
    expect(isTypeScriptUrl("file:///a/b.ts")).toBe(true);
    expect(isTypeScriptUrl("file:///a/b.mts")).toBe(true);
    expect(isTypeScriptUrl("file:///a/b.mjs")).toBe(false);
  });
});
