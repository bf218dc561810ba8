/**
 * Twins of Django's tests/tasks/test_dummy_backend.py: the dummy backend validates and stores READY
 * results in enqueue order, never runs them, and `clear()` forgets them.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  DummyBackend,
  getBackend,
  InvalidTask,
  type JsonValue,
  setLogger,
  type TaskResult,
  TaskResultDoesNotExist,
  TaskResultStatus,
  taskEvents,
} from "../../src/index.ts";
import { calculateMeaningOfLife, echo, getTaskId, noopTask, noopTaskAsync } from "../fixtures/core/tasks.ts";

/** A dummy backend without async support (Django patches the flag with mock.patch.multiple). */
class DummyWithoutAsync extends DummyBackend {
  override readonly supportsAsyncTask: boolean = false;
}

function dummy(): DummyBackend {
  const backend = getBackend();
  if (!(backend instanceof DummyBackend)) throw new Error("the default backend should be a dummy backend");
  return backend;
}

beforeEach(() => {
  configure({
    default: { backend: "dummy", queues: [] },
    noAsync: { backend: DummyWithoutAsync, queues: [] },
  });
  dummy().clear();
});

afterEach(async () => {
  setLogger(null);
  await closeAll();
});

describe("dummy backend (Django test_dummy_backend.py)", () => {
  it("the default alias is a DummyBackend with its alias and no options (test_using_correct_backend)", () => {
    expect(getBackend()).toBe(getBackend("default"));
    expect(getBackend()).toBeInstanceOf(DummyBackend);
    expect(getBackend().alias).toBe("default");
    expect(getBackend().options).toEqual({});
  });

  it.each([
    ["noopTask", noopTask],
    ["noopTaskAsync", noopTaskAsync],
  ])("enqueue of %s stores a READY result and does not run it (test_enqueue_task)", async (_name, t) => {
    const result = await t.enqueue(1);

    expect(result.status).toBe(TaskResultStatus.READY);
    expect(result.isFinished).toBe(false);
    expect(result.startedAt).toBeNull();
    expect(result.lastAttemptedAt).toBeNull();
    expect(result.finishedAt).toBeNull();
    expect(() => result.returnValue).toThrow(new Error("Task has not finished yet"));
    expect(result.task.equals(t)).toBe(true);
    expect(result.args).toEqual([1]);
    expect(result.attempts).toBe(0);
    expect(result.workerIds).toEqual([]);

    expect(dummy().results.map((r) => r.id)).toContain(result.id);
  });

  it("results lists every enqueued result in enqueue order", async () => {
    const a = await echo.enqueue("a");
    const b = await noopTaskAsync.enqueue();
    const c = await echo.enqueue("c");

    expect(dummy().results.map((r) => r.id)).toEqual([a.id, b.id, c.id]);
    expect(dummy().results.map((r) => r.args)).toEqual([["a"], [], ["c"]]);
  });

  it("getResult finds a stored result (test_get_result)", async () => {
    const result = await getBackend().enqueue(noopTask, []);

    const newResult = await getBackend().getResult(result.id);

    expect(newResult.toJSON()).toEqual(result.toJSON());
  });

  it("refresh() re-reads the stored result; a dummy result stays READY (test_refresh_result)", async () => {
    const result = await getBackend().enqueue(calculateMeaningOfLife, []);
    const stored = dummy().results[0]!;
    expect(stored.id).toBe(result.id);

    await result.refresh();

    expect(result.status).toBe(TaskResultStatus.READY);
    expect(result.toJSON()).toEqual(stored.toJSON());
  });

  it("getResult of an unknown id raises TaskResultDoesNotExist (test_get_missing_result)", async () => {
    await expect(getBackend().getResult("123")).rejects.toBeInstanceOf(TaskResultDoesNotExist);
  });

  it("enqueue logs one line, for READY (test_enqueue_logs)", async () => {
    const lines: string[] = [];
    setLogger({ debug: (line) => lines.push(line), error: (line) => lines.push(`ERROR ${line}`) });

    const result = await noopTask.enqueue();

    expect(lines).toEqual([`Task id=${result.id} path=${noopTask.modulePath} state=READY`]);
  });

  it("a READY result has no errors (test_errors)", async () => {
    const result = await noopTask.enqueue();
    expect(result.errors).toEqual([]);
  });

  it("a backend without async support refuses an async task (test_validate_disallowed_async_task)", () => {
    expect(() => getBackend("noAsync").validateTask(noopTaskAsync)).toThrow(
      new InvalidTask("Backend does not support async Tasks."),
    );
    expect(() => getBackend("noAsync").validateTask(noopTask)).not.toThrow();
  });

  it("a context task is stored READY, not run (test_takes_context)", async () => {
    const result = await getTaskId.enqueue();
    expect(result.status).toBe(TaskResultStatus.READY);
  });

  it("clear() forgets stored results (test_clear)", async () => {
    const result = await noopTask.enqueue();

    await getBackend().getResult(result.id);

    dummy().clear();

    expect(dummy().results).toEqual([]);
    await expect(getBackend().getResult(result.id)).rejects.toBeInstanceOf(TaskResultDoesNotExist);
    await expect(getBackend().getResult(result.id)).rejects.toThrow(result.id);
  });

  it("enqueue validates against the configuration current at enqueue (test_validate_on_enqueue)", async () => {
    const taskWithCustomQueueName = noopTask.using({ queueName: "unknown_queue" });

    configure({ default: { backend: "dummy", queues: ["queue-1"] } });

    await expect(taskWithCustomQueueName.enqueue()).rejects.toThrow(
      /^Queue 'unknown_queue' is not valid for backend\./,
    );
    expect(dummy().results).toEqual([]);
  });

  it("emits taskEnqueued only, with the READY result", async () => {
    const seen: string[] = [];
    const offs = [
      taskEvents.on("taskEnqueued", (r) => seen.push(`enqueued ${r.status}`)),
      taskEvents.on("taskStarted", (r) => seen.push(`started ${r.status}`)),
      taskEvents.on("taskFinished", (r) => seen.push(`finished ${r.status}`)),
    ];
    try {
      await noopTask.enqueue();
    } finally {
      for (const off of offs) off();
    }
    expect(seen).toEqual(["enqueued READY"]);
  });

  it("the stored arguments are a copy: mutating an argument after enqueue changes nothing", async () => {
    const value = { list: [1, 2], nested: { name: "before" } };

    const result = await echo.enqueue(value);
    value.list.push(3);
    value.nested.name = "after";

    const expected: JsonValue[] = [{ list: [1, 2], nested: { name: "before" } }];
    expect(result.args).toEqual(expected);
    expect(dummy().results[0]!.args).toEqual(expected);
    expect((await getBackend().getResult(result.id)).args).toEqual(expected);
  });

  it("a result that never runs can be held and looked up again with all its fields", async () => {
    const result: TaskResult = await noopTask.using({ priority: 3 }).enqueue("x");
    const found = await noopTask.getResult(result.id);

    expect(found.task.priority).toBe(3);
    expect(found.args).toEqual(["x"]);
    expect(found.enqueuedAt).toEqual(result.enqueuedAt);
  });
});
