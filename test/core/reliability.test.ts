/** Retries, timeouts and cancellation on the immediate backend, where they make sense in-process. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAll, configure, type TaskResult, taskEvents } from "../../src/index.ts";
import { busySync, failsUntil, refusesInput, seen, waitsForSignal } from "../fixtures/core/reliability.ts";

beforeEach(() => {
  configure({ default: { backend: "immediate" } });
  seen.length = 0;
});
afterEach(async () => {
  await closeAll();
});

describe("immediate backend: retries", () => {
  it("runs the attempts inside enqueue until one succeeds", async () => {
    const result = await failsUntil.using({ maxAttempts: 3, backoff: 0 }).enqueue(3);
    expect(result.status).toBe("SUCCESSFUL");
    expect(result.returnValue).toBe(3);
    expect(result.errors.map((e) => e.message)).toEqual(["attempt 1 failed", "attempt 2 failed"]);
    expect(result.attempts).toBe(3);
  });

  it("waits the backoff between attempts and stops at maxAttempts", async () => {
    const delays: number[] = [];
    const result = await failsUntil
      .using({
        maxAttempts: 2,
        backoff: (_e, attempt) => {
          delays.push(attempt);
          return 5;
        },
      })
      .enqueue(10);
    expect(result.status).toBe("FAILED");
    expect(delays).toEqual([1]);
    expect(result.errors).toHaveLength(2);
  });

  it("does not retry an UnrecoverableError", async () => {
    const result = await refusesInput.using({ maxAttempts: 4, backoff: 0 }).enqueue();
    expect(result.attempts).toBe(1);
    expect(result.errors[0]).toMatchObject({ exceptionClassPath: "UnrecoverableError", unrecoverable: true });
  });
});

describe("immediate backend: timeouts and cancellation", () => {
  it("stops waiting for an async task at timeoutMs, aborting its signal, with TaskTimeout", async () => {
    const result = await waitsForSignal.using({ timeoutMs: 50 }).enqueue();
    expect(result.status).toBe("FAILED");
    expect(result.errors[0]).toMatchObject({
      exceptionClassPath: "TaskTimeout",
      message: "Task exceeded its timeout of 50 ms",
    });
    expect(seen).toEqual(["aborted: Task exceeded its timeout of 50 ms"]);
  });

  it("lets synchronous code run to its end (it cannot be interrupted in-process)", async () => {
    const result = await busySync.using({ timeoutMs: 1 }).enqueue(20);
    expect(result.status).toBe("SUCCESSFUL");
    expect(result.returnValue).toBe("ran to the end");
  });

  it("cancels a running async task through the signal given with using()", async () => {
    const controller = new AbortController();
    // One microtask after the start, the task function is running and listening to its signal.
    const off = taskEvents.on("taskStarted", () => queueMicrotask(() => controller.abort("caller gave up")));
    let result: TaskResult;
    try {
      result = await waitsForSignal.using({ signal: controller.signal }).enqueue();
    } finally {
      off();
    }
    expect(result.status).toBe("FAILED");
    expect(result.errors[0]).toMatchObject({
      exceptionClassPath: "TaskCancelled",
      message: "Task was cancelled: caller gave up",
    });
    expect(seen).toEqual(["aborted: Task was cancelled: caller gave up"]);
  });

  it("a cancel that arrives as the attempt starts ends it before the function runs", async () => {
    const controller = new AbortController();
    const off = taskEvents.on("taskStarted", () => controller.abort("right away"));
    let result: TaskResult;
    try {
      result = await waitsForSignal.using({ signal: controller.signal }).enqueue();
    } finally {
      off();
    }
    expect(result.errors[0]!.message).toBe("Task was cancelled: right away");
    expect(seen).toEqual([]);
  });

  it("fails a task whose signal was aborted before enqueue without running it", async () => {
    const result = await waitsForSignal.using({ signal: AbortSignal.abort("no") }).enqueue();
    expect(result.status).toBe("FAILED");
    expect(result.workerIds).toEqual([]);
    expect(result.errors[0]!.exceptionClassPath).toBe("TaskCancelled");
  });
});

describe("task options for reliability", () => {
  it("refuses bad timeoutMs, maxAttempts, backoff and signal with a message naming the option", () => {
    expect(() => failsUntil.using({ timeoutMs: 0 })).toThrow("timeoutMs must be a number of milliseconds > 0");
    expect(() => failsUntil.using({ maxAttempts: 1.5 })).toThrow("maxAttempts must be a whole number >= 1");
    expect(() => failsUntil.using({ backoff: -1 })).toThrow("backoff must be milliseconds >= 0 or a function");
    expect(() => failsUntil.using({ signal: {} as AbortSignal })).toThrow("signal must be an AbortSignal");
  });

  it("keeps them through using() chains and leaves the original alone", () => {
    const signal = new AbortController().signal;
    const changed = failsUntil.using({ timeoutMs: 10, maxAttempts: 3 }).using({ signal });
    expect([changed.timeoutMs, changed.maxAttempts, changed.signal]).toEqual([10, 3, signal]);
    expect([failsUntil.timeoutMs, failsUntil.maxAttempts, failsUntil.signal]).toEqual([null, 1, null]);
  });
});
