/**
 * Hostile data on live pools, both runtimes: values too deep or too large to send, thrown things
 * that are hard to look at, listeners that throw, and the bounds a backend promises (payload,
 * queue, retained bytes, one abort listener per signal, no retry after close()). Through the public
 * API; a worker's fault must stay that task's fault, and the worker itself must survive.
 */
import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  getBackend,
  type JsonValue,
  PayloadTooLarge,
  type PoolBackend,
  QueueFull,
  type TaskResult,
  TaskResultDoesNotExist,
  taskEvents,
} from "../../src/index.ts";
import {
  alwaysFails,
  echo,
  holds,
  nested,
  returnsNested,
  throwsCyclic,
  throwsHostileError,
  throwsProxy,
  waitsForCancel,
  where,
} from "../fixtures/hostile/data.ts";
import { type Gate, openGate } from "../support/gate.ts";

/** Refreshes `result` until `check` holds: for a state no event announces (a retry scheduled). */
async function untilResult(result: TaskResult, check: (r: TaskResult) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await result.refresh();
    if (check(result)) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(["process-pool", "thread-pool"] as const)("%s", (backendName) => {
  let gates: Gate;
  const unsubscribe: (() => void)[] = [];

  const use = (options: Record<string, unknown> = {}) =>
    configure({ default: { backend: backendName, options: { maxWorkers: 1, ...options } } });
  const backend = () => getBackend() as PoolBackend;
  const whereNow = async () => (await (await where.enqueue()).wait({ timeoutMs: 20_000 })).returnValue;

  beforeEach(async () => {
    gates = await openGate();
  });
  afterEach(async () => {
    for (const off of unsubscribe.splice(0)) off();
    await gates.close();
    await closeAll({ timeoutMs: 5000 });
  });

  /** Runs `run` on the pool and checks that the same worker is there before and after. */
  async function sameWorkerAround(run: () => Promise<void>): Promise<void> {
    const before = await whereNow();
    await run();
    expect(await whereNow()).toEqual(before);
  }

  it("refuses an argument nested too deep at enqueue, with its path, storing nothing", async () => {
    use();
    const seen: string[] = [];
    unsubscribe.push(taskEvents.on("taskEnqueued", (r) => seen.push(r.task.name)));
    await expect(echo.enqueue(nested(3000))).rejects.toThrow(
      new TypeError("args[0][0][0][0][0][0]…(989 more)…[0][0][0][0][0][0]: nested deeper than 1000 levels"),
    );
    expect(seen).toEqual([]);
    expect(backend().pending).toBe(0);
    expect((await (await echo.enqueue(nested(1000))).wait({ timeoutMs: 20_000 })).status).toBe("SUCCESSFUL");
  });

  it.each([1500, 100_000])(
    "a task returning a value %s levels deep fails with the TypeError; its worker stays",
    async (depth) => {
      use();
      await sameWorkerAround(async () => {
        const result = await (await returnsNested.enqueue(depth)).wait({ timeoutMs: 20_000 });
        expect(result.status).toBe("FAILED");
        expect(result.errors.at(-1)).toMatchObject({
          exceptionClassPath: "TypeError",
          message: expect.stringMatching(/^returnValue\[0\]\[0\].*: nested deeper than 1000 levels$/),
        });
      });
    },
  );

  it("keeps the fields of a thrown cyclic object", async () => {
    use();
    const result = await (await throwsCyclic.enqueue()).wait({ timeoutMs: 20_000 });
    expect(result.errors.at(-1)).toMatchObject({
      exceptionClassPath: "thrown object",
      message: "<ref *1> { name: 'loop', code: 7, detail: { reason: 'quota' }, self: [Circular *1] }",
    });
  });

  it.each([false, true])(
    "a thrown Proxy whose traps throw (async: %s) fails its task, not its worker",
    async (async) => {
      use();
      await sameWorkerAround(async () => {
        const result = await (await throwsProxy.enqueue(async)).wait({ timeoutMs: 20_000 });
        expect(result.status).toBe("FAILED");
        expect(result.errors.at(-1)).toMatchObject({
          exceptionClassPath: "thrown Proxy",
          message: "{ message: 'hidden', status: 503 }",
        });
      });
    },
  );

  it("an error whose message and stack getters throw fails its task, not its worker", async () => {
    use();
    await sameWorkerAround(async () => {
      const result = await (await throwsHostileError.enqueue()).wait({ timeoutMs: 20_000 });
      expect(result.errors.at(-1)).toMatchObject({ exceptionClassPath: "Error", message: "", traceback: "Error: " });
    });
  });

  it("wait() resolves and later listeners run whatever an earlier listener throws", async () => {
    use();
    const later: string[] = [];
    unsubscribe.push(
      taskEvents.on("taskFinished", () => {
        throw Object.create(null);
      }),
      taskEvents.on("taskFinished", () => {
        throw new Proxy({}, { getPrototypeOf: () => ({}), get: () => ({}) });
      }),
      taskEvents.on("taskFinished", (r) => later.push(r.status)),
    );
    const result = await (await echo.enqueue(1)).wait({ timeoutMs: 20_000 });
    expect(result.status).toBe("SUCCESSFUL");
    expect(later).toEqual(["SUCCESSFUL"]);
  });

  it("a large value (sent as msgpack) arrives and returns exactly, as the enqueue saw it", async () => {
    use();
    const rows = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `row-${i}`, tags: ["a", "b"], score: i / 8 }));
    // Large but not plain (a lone surrogate, a "__proto__" key): sent as JSON, just as exact.
    const odd = [...rows.slice(0, 300), "\ud800", JSON.parse('{"__proto__": {"x": -0}}') as JsonValue];
    const expected = JSON.parse(JSON.stringify(rows)) as unknown;
    const oddExpected = JSON.parse(JSON.stringify(odd)) as unknown;
    const sent = await echo.enqueue(rows);
    const oddSent = await echo.enqueue(odd);
    rows[0]!.name = "changed after enqueue";
    const done = await sent.wait({ timeoutMs: 20_000 });
    expect(done.returnValue).toEqual(expected);
    expect(done.args).toEqual([expected]);
    const oddDone = await oddSent.wait({ timeoutMs: 20_000 });
    expect(oddDone.returnValue).toEqual(oddExpected);
    expect(Object.hasOwn((oddDone.returnValue as object[])[301]!, "__proto__")).toBe(true);
  });

  it("maxPayloadBytes holds exactly: at the limit passes, one byte over is refused", async () => {
    // 1000 empty strings as arguments: `["",…]` is 3 bytes per string, plus the closing bracket.
    const args = new Array<string>(1000).fill("");
    const bytes = Buffer.byteLength(JSON.stringify(args));
    expect(bytes).toBe(3001);
    use({ maxPayloadBytes: bytes });
    expect((await (echo.enqueue as (...a: string[]) => Promise<TaskResult>)(...args)).status).toBe("READY");
    await closeAll();
    use({ maxPayloadBytes: bytes - 1 });
    const refused = (echo.enqueue as (...a: string[]) => Promise<TaskResult>)(...args);
    await expect(refused).rejects.toThrow(PayloadTooLarge);
    await expect(refused).rejects.toThrow("are 3001 bytes as JSON, over maxPayloadBytes (3000) of backend 'default'");
  });

  it("maxQueued refuses an enqueue beyond it, storing and emitting nothing, until tasks finish", async () => {
    use({ maxQueued: 2 });
    const held = [await holds.enqueue(gates.url("a"), ""), await holds.enqueue(gates.url("b"), "")];
    const seen: string[] = [];
    unsubscribe.push(taskEvents.on("taskEnqueued", (r) => seen.push(r.id)));
    const refused = echo.enqueue("third");
    await expect(refused).rejects.toThrow(QueueFull);
    await expect(refused).rejects.toMatchObject({
      code: "TASKLANE_QUEUE_FULL",
      message: expect.stringContaining("Backend 'default' holds 2 unfinished tasks, its maxQueued (2)"),
    });
    expect(seen).toEqual([]);
    expect(backend().pending).toBe(2);
    gates.release("a");
    await held[0]!.wait({ timeoutMs: 20_000 });
    const now = await echo.enqueue("now");
    gates.release("b");
    expect((await now.wait({ timeoutMs: 20_000 })).returnValue).toBe("now");
    await held[1]!.wait({ timeoutMs: 20_000 });
  });

  it("maxResultBytes evicts the oldest finished results first, never an unfinished one", async () => {
    // Each echo of 2,000 characters keeps 2,004 bytes of arguments and 2,002 of return value.
    use({ maxResultBytes: 10_000 });
    const big = "x".repeat(5000);
    // Unfinished for the whole test: deferred by a minute.
    const unfinished = await echo.using({ runAfter: new Date(Date.now() + 60_000) }).enqueue(big);
    const finished: TaskResult[] = [];
    for (let i = 0; i < 4; i++) {
      finished.push(await (await echo.enqueue(`${i}`.padEnd(2000, "y"))).wait({ timeoutMs: 20_000 }));
    }
    const kept = async (r: TaskResult) =>
      backend()
        .getResult(r.id)
        .then(
          () => true,
          (error: unknown) => {
            if (error instanceof TaskResultDoesNotExist) return false;
            throw error;
          },
        );
    expect(await Promise.all(finished.map(kept))).toEqual([false, false, true, true]);
    expect(await kept(unfinished)).toBe(true);
    // One result larger than the bound by itself is not kept, and evicts nothing.
    const huge = await (await echo.enqueue(big)).wait({ timeoutMs: 20_000 });
    expect(await kept(huge)).toBe(false);
    expect(await Promise.all(finished.map(kept))).toEqual([false, false, true, true]);
    expect(await kept(unfinished)).toBe(true);
  });

  it("validates maxQueued and maxResultBytes like the other options", () => {
    for (const [option, value] of [
      ["maxQueued", 0],
      ["maxQueued", 1.5],
      ["maxResultBytes", -1],
      ["maxResultBytes", "1MB"],
    ] as const) {
      configure({ jobs: { backend: backendName, options: { [option]: value } } });
      expect(() => getBackend("jobs")).toThrow(new RegExp(`Option '${option}' of backend 'jobs' \\(${backendName}\\)`));
    }
  });

  it("many tasks sharing one signal: one listener, no warning, all cancelled, nothing left after", async () => {
    use();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const controller = new AbortController();
      const signal = controller.signal;
      const shared = waitsForCancel.using({ signal });
      const started = new Promise<void>((resolve) => unsubscribe.push(taskEvents.on("taskStarted", () => resolve())));
      const results: TaskResult[] = [];
      for (let i = 0; i < 20; i++) results.push(await shared.enqueue());
      expect(getEventListeners(signal, "abort")).toHaveLength(1);
      // One of them running, the others waiting: the signal cancels both kinds.
      await started;
      controller.abort("client left");
      for (const result of results) {
        await result.wait({ timeoutMs: 20_000 });
        expect(result.errors.at(-1)!.message).toBe("Task was cancelled: client left");
      }
      expect(getEventListeners(signal, "abort")).toHaveLength(0);

      // Tasks that finish normally let go of their signal too.
      const other = new AbortController();
      const finishing: TaskResult[] = [];
      for (let i = 0; i < 15; i++) finishing.push(await echo.using({ signal: other.signal }).enqueue(i));
      await Promise.all(finishing.map((r) => r.wait({ timeoutMs: 20_000 })));
      expect(getEventListeners(other.signal, "abort")).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });

  it("a retry already scheduled does not run after close(): it ends FAILED with BackendClosed", async () => {
    use();
    const result = await alwaysFails.using({ maxAttempts: 3, backoff: 1000 }).enqueue("once");
    await untilResult(result, (r) => r.errors.length === 1, "the first attempt failed");
    await backend().close();
    await result.wait({ timeoutMs: 5000 });
    expect(result.status).toBe("FAILED");
    expect(result.errors.map((e) => e.exceptionClassPath)).toEqual(["Error", "BackendClosed"]);
    expect(result.errors.at(-1)!.message).toMatch(/was closed before attempt 2 of 3 of .*#alwaysFails could run/);
    expect(result.workerIds).toHaveLength(1);
  });
});
