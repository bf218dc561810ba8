/**
 * Bounds that must really bound, checked in this process: the JSON depth limit, the payload size
 * bound, the range of timer durations, and what happens to whatever a listener or a task throws.
 * (The same promises on live pools are in test/backends/hostile-data.test.ts.)
 */
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import {
  BackendClosed,
  closeAll,
  configure,
  type DummyBackend,
  getBackend,
  type ImmediateBackend,
  InvalidTask,
  InvalidTaskBackend,
  type JsonValue,
  MAX_JSON_DEPTH,
  normalizeJson,
  type PoolBackend,
  task,
  taskEvents,
} from "../../src/index.ts";
import { WorkerPool } from "../../src/pool/pool.ts";
import { toTaskError } from "../../src/task-error.ts";
import { alwaysFails, echo, nested, noop, waitsForCancel } from "../fixtures/hostile/data.ts";
import { until } from "../support/gate.ts";

const MAX_TIMER_MS = 2 ** 31 - 1;

/** `{ a: { a: … } }`, `depth` objects deep. */
function nestedObject(depth: number): JsonValue {
  let value: JsonValue = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

/** Collects process warnings while `run` runs. */
async function warningsDuring(run: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const onWarning = (warning: Error) => seen.push(warning);
  process.on("warning", onWarning);
  try {
    await run();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", onWarning);
  }
  return seen;
}

afterEach(async () => {
  await closeAll();
});

describe("the JSON depth limit", () => {
  it("is 1000 levels below the root, the argument list not counted", () => {
    expect(MAX_JSON_DEPTH).toBe(1000);
    expect(() => normalizeJson([nested(1000)], "args")).not.toThrow();
    expect(() => normalizeJson([nested(1001)], "args")).toThrow(
      new TypeError("args[0][0][0][0][0][0]…(989 more)…[0][0][0][0][0][0]: nested deeper than 1000 levels"),
    );
    expect(() => normalizeJson(nested(1001), "returnValue")).not.toThrow();
    expect(() => normalizeJson(nested(1002), "returnValue")).toThrow(
      new TypeError("returnValue[0][0][0][0][0][0]…(989 more)…[0][0][0][0][0][0]: nested deeper than 1000 levels"),
    );
  });

  it("names object keys in the path, and keeps a short path whole", () => {
    expect(() => normalizeJson({ list: [nestedObject(1001)] }, "args")).toThrow(
      new TypeError("args.list[0].a.a.a.a…(989 more)….a.a.a.a.a.a: nested deeper than 1000 levels"),
    );
  });

  it("refuses a value of a million levels with the TypeError, not a stack overflow", () => {
    expect(() => normalizeJson([nested(1_000_000)], "args")).toThrow(
      /^args\[0\]\[0\].*: nested deeper than 1000 levels$/,
    );
  });

  it("is refused at enqueue, before anything is stored", async () => {
    configure({ default: { backend: "dummy" } });
    const seen: string[] = [];
    const off = taskEvents.on("taskEnqueued", (r) => seen.push(r.id));
    try {
      await expect(echo.enqueue(nested(5000))).rejects.toThrow(/^args\[0\].*: nested deeper than 1000 levels$/);
    } finally {
      off();
    }
    expect(seen).toEqual([]);
    expect((getBackend() as DummyBackend).results).toEqual([]);
  });

  it("still finds the path of other errors deep down, and a getter may normalise a value meanwhile", () => {
    const deep = nested(800) as JsonValue[];
    let inner: JsonValue[] = deep;
    while (inner.length > 0) inner = inner[0] as JsonValue[];
    inner.push({ when: new Date(0) } as never);
    expect(() => normalizeJson(deep, "args")).toThrow(/^args(\[0\]){799}\[0\]\.when: Date is not JSON-serializable$/);

    const reentrant = {
      get value() {
        return normalizeJson({ inner: [1, { x: 2 }] }, "inner");
      },
      after: [3],
    };
    expect(normalizeJson([reentrant], "args")).toEqual([{ value: { inner: [1, { x: 2 }] }, after: [3] }]);
  });
});

describe("timer durations", () => {
  const badTimeouts = [0, -1, 0.5, 1.5, MAX_TIMER_MS + 1, Number.POSITIVE_INFINITY, Number.NaN];

  it.each(badTimeouts)("timeoutMs %s is refused at definition and by using()", (timeoutMs) => {
    expect(() => task(import.meta, { timeoutMs }, function bad() {})).toThrow(InvalidTask);
    expect(() => noop.using({ timeoutMs })).toThrow(
      /timeoutMs must be a number of milliseconds > 0 \(a whole number, at most 2147483647\)/,
    );
  });

  it("accepts 1 and 2^31-1", () => {
    expect(noop.using({ timeoutMs: 1 }).timeoutMs).toBe(1);
    expect(noop.using({ timeoutMs: MAX_TIMER_MS }).timeoutMs).toBe(MAX_TIMER_MS);
  });

  it.each(["process-pool", "immediate"] as const)(
    "on %s, a refused timeout stores nothing and emits no taskEnqueued",
    async (backendName) => {
      configure({ default: { backend: backendName } });
      const seen: string[] = [];
      const off = taskEvents.on("taskEnqueued", (r) => seen.push(r.id));
      try {
        for (const timeoutMs of [0.5, 1.5, MAX_TIMER_MS + 1]) {
          await expect((async () => noop.using({ timeoutMs }).enqueue())()).rejects.toThrow(InvalidTask);
        }
      } finally {
        off();
      }
      expect(seen).toEqual([]);
      if (backendName === "process-pool") expect((getBackend() as PoolBackend).pending).toBe(0);
    },
  );

  it("a numeric backoff is at most 2^31-1", () => {
    expect(() => alwaysFails.using({ backoff: MAX_TIMER_MS + 1 })).toThrow(/at most 2147483647/);
    expect(alwaysFails.using({ backoff: MAX_TIMER_MS }).backoff).toBe(MAX_TIMER_MS);
  });

  it.each([
    ["cancelGraceMs", MAX_TIMER_MS + 1],
    ["cancelGraceMs", 1.5],
    ["idleTimeoutMs", MAX_TIMER_MS + 1],
    ["idleTimeoutMs", 0.5],
  ])("the pool option %s = %s is refused, naming the option and the alias", (option, value) => {
    configure({ jobs: { backend: "process-pool", options: { [option]: value } } });
    expect(() => getBackend("jobs")).toThrow(InvalidTaskBackend);
    expect(() => getBackend("jobs")).toThrow(new RegExp(`Option '${option}' of backend 'jobs'.*at most 2147483647`));
  });

  it("wait() and close() refuse a timeout setTimeout cannot arm", async () => {
    configure({ default: { backend: "dummy" } });
    const result = await noop.enqueue();
    await expect(result.wait({ timeoutMs: MAX_TIMER_MS + 1 })).rejects.toThrow(
      new RangeError("wait(): timeoutMs must be at most 2147483647 (got 2147483648)"),
    );
    const pool = new WorkerPool({
      runtime: "thread",
      lanes: { default: { maxWorkers: 1 } },
      listener: { onStart() {}, onProgress() {}, onFinish() {} },
    });
    await expect(pool.close({ timeoutMs: MAX_TIMER_MS + 1 })).rejects.toThrow(RangeError);
    await pool.close();
  });
});

describe("whatever a listener throws", () => {
  const hostileProxy = () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
        getPrototypeOf() {
          throw new Error("trap");
        },
        has() {
          throw new Error("trap");
        },
      },
    );
  const stackless = () => {
    const error = new Error("x");
    Object.defineProperty(error, "stack", {
      get() {
        throw new Error("no stack");
      },
    });
    return error;
  };

  it("neither stops later listeners nor the backend, and is reported as a warning", async () => {
    configure({ default: { backend: "immediate" } });
    const later: string[] = [];
    const offs = [
      taskEvents.on("taskFinished", () => {
        throw Object.create(null);
      }),
      taskEvents.on("taskFinished", () => {
        throw hostileProxy();
      }),
      taskEvents.on("taskFinished", () => {
        throw stackless();
      }),
      taskEvents.on("taskFinished", (r) => later.push(r.status)),
    ];
    let status = "";
    let warnings: Error[] = [];
    try {
      warnings = await warningsDuring(async () => {
        const result = await echo.enqueue(1);
        status = (await result.wait({ timeoutMs: 5000 })).status;
      });
    } finally {
      for (const off of offs) off();
    }
    expect(status).toBe("SUCCESSFUL");
    expect(later).toEqual(["SUCCESSFUL"]);
    const ours = warnings.filter((w) => (w as Error & { code?: string }).code === "TASKLANE_LISTENER_ERROR");
    expect(ours).toHaveLength(3);
    expect(ours[0]!.message).toContain("[Object: null prototype] {}");
  });
});

describe("toTaskError on hostile values", () => {
  it("keeps the fields of a cyclic object", () => {
    const thrown: Record<string, unknown> = { name: "loop", code: 7 };
    thrown.self = thrown;
    const record = toTaskError(thrown);
    expect(record.exceptionClassPath).toBe("thrown object");
    expect(record.message).toBe("<ref *1> { name: 'loop', code: 7, self: [Circular *1] }");
  });

  it("says what a Proxy whose traps throw held, without calling a trap", () => {
    const trap = () => {
      throw new Error("trap");
    };
    const thrown = new Proxy({ status: 503 }, { get: trap, has: trap, getPrototypeOf: trap, ownKeys: trap });
    expect(toTaskError(thrown)).toEqual({
      exceptionClassPath: "thrown Proxy",
      message: "{ status: 503 }",
      traceback: "thrown Proxy: { status: 503 }",
    });
  });

  it("survives an error whose getters throw, and one whose message cannot become a string", () => {
    const error = new TypeError("unseen");
    // The stack first: V8 formats it (reading the message) when it is redefined.
    Object.defineProperty(error, "stack", {
      get() {
        throw new Error("no");
      },
    });
    Object.defineProperty(error, "message", {
      get() {
        throw new Error("no");
      },
    });
    expect(toTaskError(error)).toEqual({ exceptionClassPath: "TypeError", message: "", traceback: "TypeError: " });
    const odd = new Error("x");
    (odd as { message: unknown }).message = Object.create(null);
    expect(toTaskError(odd).message).toBe("[Object: null prototype] {}");
  });

  it("bounds the description of a large object", () => {
    const big: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) big[`key${i}`] = i;
    const { message } = toTaskError(big);
    expect(message.length).toBeLessThan(2100);
    expect(message).toMatch(/^\{ key0: 0, key1: 1,.*… \(\d+ characters\)$/);
  });
});

describe("the immediate backend", () => {
  it("ends a retry already scheduled at close(), and takes nothing after it", async () => {
    configure({ default: { backend: "immediate" } });
    const backend = getBackend() as ImmediateBackend;
    let id = "";
    const off = taskEvents.on("taskEnqueued", (r) => {
      id = r.id;
    });
    const running = alwaysFails.using({ maxAttempts: 3, backoff: 20_000 }).enqueue("x");
    await until(() => id !== "", "the task was enqueued");
    off();
    // The first attempt fails at once; then the result waits 20 s for its retry.
    const deadline = Date.now() + 5000;
    while ((await backend.getResult(id)).errors.length === 0) {
      if (Date.now() > deadline) throw new Error("the first attempt did not fail");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await backend.close();
    const result = await Promise.race([
      running,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the retry wait did not end")), 5000)),
    ]);
    expect(result.status).toBe("FAILED");
    expect(result.errors.map((e) => e.exceptionClassPath)).toEqual(["Error", "BackendClosed"]);
    expect(result.workerIds).toHaveLength(1);
    await expect(noop.enqueue()).rejects.toThrow(BackendClosed);
  });

  it("watches a signal shared by many tasks with one listener, and cancels them all", async () => {
    configure({ default: { backend: "immediate" } });
    const controller = new AbortController();
    const signal = controller.signal;
    const shared = waitsForCancel.using({ signal });
    const warnings = await warningsDuring(async () => {
      const results = Array.from({ length: 20 }, () => shared.enqueue());
      await until(() => getEventListeners(signal, "abort").length > 0, "the tasks are running");
      expect(getEventListeners(signal, "abort")).toHaveLength(1);
      controller.abort("enough");
      for (const result of await Promise.all(results)) {
        expect(result.status).toBe("FAILED");
        expect(result.errors.at(-1)!.message).toBe("Task was cancelled: enough");
      }
    });
    expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });
});
