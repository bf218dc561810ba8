/**
 * Twins of Django's tests/tasks/test_immediate_backend.py, plus what tasklane's immediate backend
 * adds: getResult, retention (`maxResults`), context, progress and `currentResultId()`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AnyTask,
  BackendNotSupported,
  BaseTaskBackend,
  closeAll,
  configure,
  currentResultId,
  getBackend,
  ImmediateBackend,
  InvalidTask,
  setLogger,
  TaskResult,
  TaskResultDoesNotExist,
  TaskResultStatus,
  taskEvents,
} from "../../src/index.ts";
import {
  calculateMeaningOfLife,
  complexException,
  complexReturnValue,
  failingTaskThrowsString,
  failingTaskValueError,
  getTaskId,
  noopTask,
  noopTaskAsync,
  openGate,
  readsMissingFile,
  reportsBadProgress,
  reportsBadProgressUncaught,
  reportsProgress,
  returnsDate,
  returnsNaN,
  testContext,
  waitForGate,
  whoAmI,
  whoAmIAsync,
} from "../fixtures/core/tasks.ts";

/** Stores READY results and cannot look them up (supportsGetResult stays false). */
class FireAndForget extends BaseTaskBackend {
  override async enqueue(t: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    return new TaskResult(this.newState(t, args));
  }
}

function expectFinishedTimes(result: TaskResult): void {
  expect(result.isFinished).toBe(true);
  expect(result.startedAt).not.toBeNull();
  expect(result.lastAttemptedAt).not.toBeNull();
  expect(result.finishedAt).not.toBeNull();
  expect(result.startedAt!.getTime()).toBeGreaterThanOrEqual(result.enqueuedAt.getTime());
  expect(result.finishedAt!.getTime()).toBeGreaterThanOrEqual(result.startedAt!.getTime());
}

/** Resolves with the next result of `event` for which `match` holds; rejects after a deadline. */
function nextEvent(event: "taskStarted" | "taskFinished", match: (r: TaskResult) => boolean): Promise<TaskResult> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within 10 s`));
    }, 10_000);
    const off = taskEvents.on(event, (r) => {
      if (!match(r)) return;
      clearTimeout(deadline);
      off();
      resolve(r);
    });
  });
}

const listeners: (() => void)[] = [];

beforeEach(() => {
  configure({ default: { backend: "immediate", queues: [] } });
});

afterEach(async () => {
  for (const off of listeners.splice(0)) off();
  await closeAll();
});

describe("immediate backend (Django test_immediate_backend.py)", () => {
  it("the default alias is an ImmediateBackend with its alias and no options (test_using_correct_backend)", () => {
    const backend = getBackend();
    expect(backend).toBe(getBackend("default"));
    expect(backend).toBeInstanceOf(ImmediateBackend);
    expect(backend.alias).toBe("default");
    expect(backend.options).toEqual({});
  });

  it.each([
    ["noopTask", noopTask],
    ["noopTaskAsync", noopTaskAsync],
  ])("enqueue runs %s inline and returns the finished result (test_enqueue_task)", async (_name, t) => {
    const result = await t.enqueue(1);

    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
    expectFinishedTimes(result);
    expect(result.returnValue).toBeNull();
    expect(result.task.equals(t)).toBe(true);
    expect(result.args).toEqual([1]);
    expect(result.attempts).toBe(1);
    expect(result.workerIds).toEqual([(getBackend() as ImmediateBackend).workerId]);
    expect(result.errors).toEqual([]);
    expect(result.id.length).toBeLessThan(64);
  });

  it.each([
    ["an Error subclass", failingTaskValueError, "ValueError", "This Task failed due to ValueError"],
    ["a thrown string", failingTaskThrowsString, "thrown string", "This Task failed by throwing a string"],
  ])(
    "a task throwing %s ends FAILED with its class, message and traceback (test_catches_exception)",
    async (_what, t, className, message) => {
      const errorLines: string[] = [];
      setLogger({ debug: () => {}, error: (line) => errorLines.push(line) });
      let result: TaskResult;
      try {
        result = await t.enqueue();
      } finally {
        setLogger(null);
      }

      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toContain(message);

      expect(result.status).toBe(TaskResultStatus.FAILED);
      expect(() => result.returnValue).toThrow(/^Task failed: /);
      expectFinishedTimes(result);
      expect(result.errors).toHaveLength(1);
      const [error] = result.errors;
      expect(error!.exceptionClassPath).toBe(className);
      expect(error!.message).toBe(message);
      expect(error!.traceback.startsWith(`${className}: ${message}`)).toBe(true);
      expect(result.task.equals(t)).toBe(true);
      expect(result.args).toEqual([]);
    },
  );

  it("an Error's traceback is its full stack, naming the task module", async () => {
    const result = await failingTaskValueError.enqueue();

    const traceback = result.errors[0]!.traceback;
    expect(traceback).toMatch(/^ValueError: This Task failed due to ValueError\n\s+at /);
    expect(traceback).toContain("failingTaskValueError");
    expect(traceback).toContain("tasks.ts");
  });

  it("an error built from another error keeps class, message, code and stack (test_complex_exception)", async () => {
    const result = await complexException.enqueue();

    expect(result.status).toBe(TaskResultStatus.FAILED);
    expect(() => result.returnValue).toThrow("Task failed");
    expectFinishedTimes(result);
    expect(result.errors[0]).toEqual({
      exceptionClassPath: "ValueError",
      message: "ValueError: This task failed",
      traceback: expect.stringMatching(/^ValueError: ValueError: This task failed\n\s+at /),
      code: "E_COMPLEX",
    });
    expect(result.task.equals(complexException)).toBe(true);
    expect(result.args).toEqual([]);
  });

  it("a system error keeps its code (ENOENT)", async () => {
    const result = await readsMissingFile.enqueue("/definitely/not/here.txt");

    expect(result.status).toBe(TaskResultStatus.FAILED);
    expect(result.errors[0]).toMatchObject({ exceptionClassPath: "Error", code: "ENOENT" });
    expect(result.errors[0]!.message).toContain("/definitely/not/here.txt");
  });

  it.each([
    ["a function", complexReturnValue, "returnValue: function is not JSON-serializable"],
    ["an object holding a Date", returnsDate, "returnValue.x: Date is not JSON-serializable"],
    ["NaN", returnsNaN, "returnValue: NaN is not JSON-serializable"],
  ])("returning %s ends FAILED with the JSON TypeError (test_complex_return_value)", async (_what, t, message) => {
    const result = await t.enqueue();

    expect(result.status).toBe(TaskResultStatus.FAILED);
    expectFinishedTimes(result);
    expect(() => result.returnValue).toThrow("Task failed");
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.exceptionClassPath).toBe("TypeError");
    expect(result.errors[0]!.message).toBe(message);
    expect(result.errors[0]!.traceback).toContain(`TypeError: ${message}`);
  });

  it("the return value is kept (test_result)", async () => {
    const result = await getBackend().enqueue(calculateMeaningOfLife, []);

    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(result.returnValue).toBe(42);
  });

  it("a function returning nothing gives returnValue null", async () => {
    const result = await noopTask.enqueue();
    expect(result.returnValue).toBeNull();
    expect(result.toJSON().returnValue).toBeNull();
  });

  it("tasklane's immediate backend can look results up (test_cannot_get_result, deliberately different)", async () => {
    const result = await calculateMeaningOfLife.enqueue();

    const found = await getBackend().getResult(result.id);
    expect(found.toJSON()).toEqual(result.toJSON());
    expect((await calculateMeaningOfLife.getResult(result.id)).returnValue).toBe(42);
    await expect(getBackend().getResult("123")).rejects.toBeInstanceOf(TaskResultDoesNotExist);
  });

  it("tasklane's immediate backend can refresh results (test_cannot_refresh_result, deliberately different)", async () => {
    const result = await calculateMeaningOfLife.enqueue();
    const before = result.toJSON();

    await expect(result.refresh()).resolves.toBeUndefined();
    expect(result.toJSON()).toEqual(before);
  });

  it("runAfter is refused: the backend cannot defer (test_cannot_pass_run_after)", () => {
    expect(() => failingTaskValueError.using({ runAfter: new Date() })).toThrow(
      new InvalidTask("Backend does not support run_after."),
    );
  });

  it("a context task reads its own result id (test_takes_context)", async () => {
    const result = await getTaskId.enqueue();

    expect(result.returnValue).toBe(result.id);
  });

  it("the context carries attempt 1 and the RUNNING result (test_context)", async () => {
    const result = await testContext.enqueue(1);

    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(result.returnValue).toEqual({
      attempt: 1,
      id: result.id,
      status: "RUNNING",
      attempts: 1,
      workerIds: [...result.workerIds],
      startedAt: result.startedAt!.toISOString(),
      finishedAt: null,
    });
    const wrongAttempt = await testContext.enqueue(2);
    expect(wrongAttempt.status).toBe(TaskResultStatus.FAILED);
    expect(wrongAttempt.errors[0]!.message).toBe("expected attempt 2, got 1");
  });

  it("enqueue validates against the configuration current at enqueue (test_validate_on_enqueue)", async () => {
    const taskWithCustomQueueName = noopTask.using({ queueName: "unknown_queue" });

    configure({ default: { backend: "immediate", queues: ["queue-1"] } });

    await expect(taskWithCustomQueueName.enqueue()).rejects.toThrow(
      /^Queue 'unknown_queue' is not valid for backend\./,
    );
  });
});

describe("currentResultId()", () => {
  it("returns the running result's id inside the task and undefined outside", async () => {
    const result = await whoAmI.enqueue();

    expect(result.returnValue).toBe(result.id);
    expect(currentResultId()).toBeUndefined();
  });

  it("follows the task into async code it awaits and callbacks it schedules", async () => {
    const result = await whoAmIAsync.enqueue();

    expect(result.returnValue).toEqual({ before: result.id, fromHelper: result.id, afterAwait: result.id });
  });

  it("keeps concurrent tasks apart", async () => {
    const [a, b] = await Promise.all([whoAmIAsync.enqueue(), whoAmIAsync.enqueue()]);

    expect(a.id).not.toBe(b.id);
    expect(a.returnValue).toEqual({ before: a.id, fromHelper: a.id, afterAwait: a.id });
    expect(b.returnValue).toEqual({ before: b.id, fromHelper: b.id, afterAwait: b.id });
  });
});

describe("reportProgress on the immediate backend", () => {
  it("shows as result.progress and as taskProgress events, in order", async () => {
    const seen: unknown[] = [];
    listeners.push(taskEvents.on("taskProgress", (r) => seen.push(r.progress)));

    const result = await reportsProgress.enqueue(2);

    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(seen).toEqual([{ current: 1, total: 2, message: "step 1" }, { current: 2, total: 2, message: "step 2" }, 1]);
    expect(result.progress).toBe(1);
  });

  it("the taskProgress event carries the RUNNING result it belongs to", async () => {
    const events: { id: string; status: string }[] = [];
    listeners.push(taskEvents.on("taskProgress", (r) => events.push({ id: r.id, status: r.status })));

    const result = await reportsProgress.enqueue(1);

    expect(events).toEqual([
      { id: result.id, status: "RUNNING" },
      { id: result.id, status: "RUNNING" },
    ]);
  });

  it("a result without progress reports has progress null", async () => {
    expect((await noopTask.enqueue()).progress).toBeNull();
  });

  it.each([
    ["aboveOne", "progress: a number must be between 0 and 1 (got 2)"],
    ["negative", "progress: a number must be between 0 and 1 (got -0.5)"],
    ["nan", "progress: a number must be between 0 and 1 (got NaN)"],
    ["text", "progress: must be a number 0–1 or { current, total, message? }"],
    ["nullValue", "progress: must be a number 0–1 or { current, total, message? }"],
    ["array", "progress: must be a number 0–1 or { current, total, message? }"],
    ["negativeCurrent", "progress.current: must be a finite number >= 0"],
    ["missingTotal", "progress.total: must be a finite number >= 0"],
    ["infiniteTotal", "progress.total: must be a finite number >= 0"],
    ["numericMessage", "progress.message: must be a string"],
  ])("a bad value (%s) throws a clear TypeError at the call", async (which, message) => {
    const seen: unknown[] = [];
    listeners.push(taskEvents.on("taskProgress", (r) => seen.push(r.progress)));

    const result = await reportsBadProgress.enqueue(which);

    expect(result.returnValue).toEqual({ name: "TypeError", message });
    expect(result.progress).toBeNull();
    expect(seen).toEqual([]);
  });

  it("an uncaught bad progress value fails the task with that TypeError", async () => {
    const result = await reportsBadProgressUncaught.enqueue();

    expect(result.status).toBe(TaskResultStatus.FAILED);
    expect(result.errors[0]).toMatchObject({
      exceptionClassPath: "TypeError",
      message: "progress: a number must be between 0 and 1 (got 1.5)",
    });
  });
});

describe("retention (maxResults)", () => {
  it("with maxResults 2 the oldest finished id is evicted; a held result still reads its final fields", async () => {
    configure({ default: { backend: "immediate", queues: [], options: { maxResults: 2 } } });
    const first = await calculateMeaningOfLife.enqueue();
    const second = await calculateMeaningOfLife.enqueue();

    await expect(getBackend().getResult(first.id)).resolves.toMatchObject({ id: first.id });

    const third = await calculateMeaningOfLife.enqueue();

    await expect(getBackend().getResult(first.id)).rejects.toBeInstanceOf(TaskResultDoesNotExist);
    await expect(calculateMeaningOfLife.getResult(first.id)).rejects.toThrow(
      `Result ${JSON.stringify(first.id)} does not exist in backend 'default'.`,
    );
    expect((await getBackend().getResult(second.id)).returnValue).toBe(42);
    expect((await getBackend().getResult(third.id)).returnValue).toBe(42);

    expect(first.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(first.returnValue).toBe(42);
    expect(first.finishedAt).not.toBeNull();
    expect(first.attempts).toBe(1);
  });

  it("unfinished results are never evicted", async () => {
    configure({ default: { backend: "immediate", queues: [], options: { maxResults: 1 } } });
    const gate = `retention-${Math.random()}`;
    const started = nextEvent("taskStarted", (r) => r.task.equals(waitForGate));
    const slow = waitForGate.enqueue(gate);
    const running = await started;

    const quick1 = await calculateMeaningOfLife.enqueue();
    const quick2 = await calculateMeaningOfLife.enqueue();

    await expect(getBackend().getResult(quick1.id)).rejects.toBeInstanceOf(TaskResultDoesNotExist);
    expect((await getBackend().getResult(quick2.id)).status).toBe(TaskResultStatus.SUCCESSFUL);
    expect((await getBackend().getResult(running.id)).status).toBe(TaskResultStatus.RUNNING);

    openGate(gate);
    const finished = await slow;

    expect(finished.returnValue).toBe(gate);
    expect((await getBackend().getResult(finished.id)).status).toBe(TaskResultStatus.SUCCESSFUL);
    await expect(getBackend().getResult(quick2.id)).rejects.toBeInstanceOf(TaskResultDoesNotExist);
  });

  it("a running result looked up by id can be waited on until it finishes", async () => {
    const gate = `wait-${Math.random()}`;
    const started = nextEvent("taskStarted", (r) => r.task.equals(waitForGate));
    const slow = waitForGate.enqueue(gate);
    const { id } = await started;

    const looked = await waitForGate.getResult(id);
    expect(looked.status).toBe(TaskResultStatus.RUNNING);
    expect(() => looked.returnValue).toThrow(new Error("Task has not finished yet"));
    const waiting = looked.wait();

    openGate(gate);

    await expect(waiting).resolves.toBe(looked);
    expect(looked.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(looked.returnValue).toBe(gate);
    expect((await slow).id).toBe(id);
  });
});

describe("results that cannot be looked up", () => {
  it("a backend without getResult support says so for getResult and refresh", async () => {
    configure({ default: { backend: FireAndForget } });
    const message = "Backend 'default' does not support retrieving or refreshing results.";

    const result = await noopTask.enqueue();

    await expect(noopTask.getResult(result.id)).rejects.toThrow(new BackendNotSupported(message));
    await expect(result.refresh()).rejects.toThrow(new BackendNotSupported(message));
  });
});
