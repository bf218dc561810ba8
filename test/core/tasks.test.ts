/**
 * Twins of Django's tests/tasks/test_tasks.py (TaskTestCase): defining tasks, `using()`, enqueue on
 * the dummy backend, `getResult`, `call`, names and module paths.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  DEFAULT_QUEUE_NAME,
  DummyBackend,
  getBackend,
  ImmediateBackend,
  InvalidTask,
  InvalidTaskBackend,
  type JsonValue,
  MAX_PRIORITY,
  MIN_PRIORITY,
  Task,
  TaskResultDoesNotExist,
  TaskResultMismatch,
  TaskResultStatus,
  task,
} from "../../src/index.ts";
import { calculateMeaningOfLife, echo, noopTask, noopTaskAsync, noopTaskWithOptions } from "../fixtures/core/tasks.ts";

function dummy(): DummyBackend {
  const backend = getBackend();
  if (!(backend instanceof DummyBackend)) throw new Error("the default backend should be the dummy backend");
  return backend;
}

beforeEach(() => {
  configure({
    default: { backend: "dummy", queues: ["default", "queue_1"] },
    immediate: { backend: "immediate", queues: [] },
    missing: { backend: "does.not.exist" },
  });
  dummy().clear();
});

afterEach(async () => {
  await closeAll();
});

describe("tasks (Django test_tasks.py)", () => {
  it("the default alias is the configured dummy backend (test_using_correct_backend)", () => {
    expect(getBackend()).toBe(getBackend("default"));
    expect(getBackend()).toBeInstanceOf(DummyBackend);
  });

  it("task() in both call forms returns a Task (test_task_decorator)", () => {
    expect(noopTask).toBeInstanceOf(Task);
    expect(noopTaskAsync).toBeInstanceOf(Task);
    expect(noopTaskWithOptions).toBeInstanceOf(Task);
    expect(noopTask.isAsync).toBe(false);
    expect(noopTaskAsync.isAsync).toBe(true);
  });

  it("a task is frozen: its fields cannot be changed in place", () => {
    expect(Object.isFrozen(noopTask)).toBe(true);
    expect(() => {
      (noopTask as { priority: number }).priority = 5;
    }).toThrow(TypeError);
    expect(noopTask.priority).toBe(0);
  });

  it("enqueue on the dummy backend stores a READY result (test_enqueue_task)", async () => {
    const result = await noopTask.enqueue();

    expect(result.status).toBe(TaskResultStatus.READY);
    expect(result.task.equals(noopTask)).toBe(true);
    expect(result.args).toEqual([]);
    expect(result.backend).toBe("default");
    expect(dummy().results.map((r) => r.toJSON())).toEqual([result.toJSON()]);
  });

  it("enqueue refuses an argument that is not JSON with a TypeError (test_enqueue_with_invalid_argument)", async () => {
    await expect(noopTask.enqueue(new Date() as unknown as JsonValue)).rejects.toThrow(
      new TypeError("args[0]: Date is not JSON-serializable"),
    );
    expect(dummy().results).toEqual([]);
  });

  it("using({ priority }) changes the copy only (test_using_priority)", () => {
    expect(noopTask.priority).toBe(0);
    expect(noopTask.using({ priority: 1 }).priority).toBe(1);
    expect(noopTask.priority).toBe(0);
  });

  it("using({ queueName }) changes the copy only (test_using_queue_name)", () => {
    expect(noopTask.queueName).toBe(DEFAULT_QUEUE_NAME);
    expect(noopTask.using({ queueName: "queue_1" }).queueName).toBe("queue_1");
    expect(noopTask.queueName).toBe(DEFAULT_QUEUE_NAME);
  });

  it("using({ runAfter }) changes the copy only, and null clears it (test_using_run_after)", () => {
    const now = new Date();

    expect(noopTask.runAfter).toBeNull();
    const deferred = noopTask.using({ runAfter: now });
    expect(deferred.runAfter).toEqual(now);
    expect(noopTask.runAfter).toBeNull();
    expect(deferred.using({ runAfter: null }).runAfter).toBeNull();
  });

  it("using() an unknown alias raises InvalidTaskBackend (test_using_unknown_backend)", () => {
    expect(noopTask.backend).toBe("default");

    expect(() => noopTask.using({ backend: "unknown" })).toThrow(InvalidTaskBackend);
    expect(() => noopTask.using({ backend: "unknown" })).toThrow("The connection 'unknown' doesn't exist.");
  });

  it("using() an alias whose backend cannot be loaded raises InvalidTaskBackend naming it (test_using_missing_backend)", () => {
    expect(noopTask.backend).toBe("default");

    expect(() => noopTask.using({ backend: "missing" })).toThrow(InvalidTaskBackend);
    expect(() => noopTask.using({ backend: "missing" })).toThrow(
      /^Could not load backend 'does\.not\.exist' for 'missing': not a built-in backend/,
    );
  });

  it("using() returns an equal, new instance (test_using_creates_new_instance)", () => {
    const newTask = noopTask.using({});

    expect(newTask.equals(noopTask)).toBe(true);
    expect(newTask).not.toBe(noopTask);
    expect(newTask.using({ priority: 3 }).equals(noopTask)).toBe(false);
    expect(noopTask.equals(noopTaskAsync.using({}) as never)).toBe(false);
  });

  it("chained using() keeps earlier changes and leaves each step unchanged (test_chained_using)", () => {
    const now = new Date();

    const runAfterTask = noopTask.using({ runAfter: now });
    expect(runAfterTask.runAfter).toEqual(now);

    const priorityTask = runAfterTask.using({ priority: 10 });
    expect(priorityTask.priority).toBe(10);
    expect(priorityTask.runAfter).toEqual(now);

    const queueTask = priorityTask.using({ queueName: "queue_1" });
    expect(queueTask).toMatchObject({ priority: 10, queueName: "queue_1", runAfter: now });

    expect(runAfterTask.priority).toBe(0);
    expect(priorityTask.queueName).toBe("default");
    expect(noopTask).toMatchObject({ priority: 0, queueName: "default", runAfter: null });
  });

  it("refresh() of a dummy result leaves every field as it was (test_refresh_result)", async () => {
    const result = await noopTask.enqueue();
    const original = result.toJSON();

    await result.refresh();

    expect(result.toJSON()).toEqual(original);
  });

  it("using({ runAfter }) with an invalid Date raises InvalidTask (test_naive_datetime)", () => {
    expect(() => noopTask.using({ runAfter: new Date(Number.NaN) })).toThrow(
      new InvalidTask("runAfter must be a valid Date."),
    );
  });

  it("priority outside -100..100 or not whole raises InvalidTask (test_invalid_priority)", () => {
    const message = `priority must be a whole number between ${MIN_PRIORITY} and ${MAX_PRIORITY}.`;
    expect(message).toBe("priority must be a whole number between -100 and 100.");

    for (const priority of [-101, 101, 3.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => noopTask.using({ priority }), String(priority)).toThrow(new InvalidTask(message));
    }

    expect(noopTask.using({ priority: 100 }).priority).toBe(100);
    expect(noopTask.using({ priority: -100 }).priority).toBe(-100);
    expect(noopTask.using({ priority: 0 }).priority).toBe(0);
  });

  it("a queue not in the backend's queues raises InvalidTask; an empty list allows any (test_unknown_queue_name)", () => {
    expect(() => noopTask.using({ queueName: "queue-2" })).toThrow(/^Queue 'queue-2' is not valid for backend\./);
    // Validation is bypassed when the backend's queues list is empty.
    expect(noopTask.using({ queueName: "queue-2", backend: "immediate" }).queueName).toBe("queue-2");
  });

  it("call() runs the function inline and resolves with its return value (test_call_task)", async () => {
    await expect(calculateMeaningOfLife.call()).resolves.toBe(42);
  });

  it("call() of an async task resolves with what it returns (test_call_async_task)", async () => {
    await expect(noopTaskAsync.call()).resolves.toBeUndefined();
  });

  it("call() uses no backend and no JSON rules", async () => {
    const when = new Date(0);
    await expect(echo.call(when as unknown as JsonValue)).resolves.toBe(when);
    expect(dummy().results).toEqual([]);
  });

  it("getResult() finds a result the backend stored (test_get_result)", async () => {
    const result = await getBackend().enqueue(noopTask, []);

    const newResult = await noopTask.getResult(result.id);

    expect(newResult.toJSON()).toEqual(result.toJSON());
  });

  it("getResult() of an unknown id raises TaskResultDoesNotExist (test_get_missing_result)", async () => {
    await expect(noopTask.getResult("123")).rejects.toBeInstanceOf(TaskResultDoesNotExist);
    await expect(noopTask.getResult("123")).rejects.toThrow('Result "123" does not exist');
  });

  it("getResult() of another task's result raises TaskResultMismatch (test_get_incorrect_result)", async () => {
    const result = await getBackend().enqueue(noopTaskAsync, []);

    await expect(noopTask.getResult(result.id)).rejects.toBeInstanceOf(TaskResultMismatch);
    await expect(noopTask.getResult(result.id)).rejects.toThrow(
      `Task does not match (received '${noopTaskAsync.modulePath}', expected '${noopTask.modulePath}'`,
    );
  });

  it("a result enqueued through using() still matches its task", async () => {
    const result = await noopTask.using({ priority: 7, queueName: "queue_1" }).enqueue();

    const found = await noopTask.getResult(result.id);

    expect(found.id).toBe(result.id);
    expect(found.task.priority).toBe(7);
    expect(found.task.queueName).toBe("queue_1");
  });

  it("an anonymous function is refused at definition (test_invalid_function)", () => {
    for (const fn of [
      () => 1,
      (
        () => () =>
          2
      )(),
    ]) {
      expect(() => task(import.meta, fn)).toThrow(InvalidTask);
      expect(() => task(import.meta, fn)).toThrow(/^Task function must be a named function, exported under that name/);
    }
  });

  it("a task's alias names its backend instance (test_get_backend)", () => {
    expect(noopTask.backend).toBe("default");
    expect(getBackend(noopTask.backend)).toBeInstanceOf(DummyBackend);

    const immediateTask = noopTask.using({ backend: "immediate" });
    expect(immediateTask.backend).toBe("immediate");
    expect(getBackend(immediateTask.backend)).toBeInstanceOf(ImmediateBackend);
  });

  it("name is the function's name (test_name)", () => {
    expect(noopTask.name).toBe("noopTask");
    expect(noopTaskAsync.name).toBe("noopTaskAsync");
  });

  it("modulePath is the module URL plus '#' plus the export name, and imports back to the task (test_module_path)", async () => {
    const url = new URL("../fixtures/core/tasks.ts", import.meta.url).href;
    expect(noopTask.moduleUrl).toBe(url);
    expect(noopTask.modulePath).toBe(`${url}#noopTask`);
    expect(noopTaskAsync.modulePath).toBe(`${url}#noopTaskAsync`);
    expect(String(noopTask)).toBe(`Task(${url}#noopTask)`);

    const [moduleUrl, exportName] = noopTask.modulePath.split("#") as [string, string];
    const ns = (await import(moduleUrl)) as Record<string, unknown>;
    expect(ns[exportName]).toBe(noopTask);
    expect(ns.noopTaskAsync).toBe(noopTaskAsync);
  });

  it("enqueue with no backends configured raises InvalidTaskBackend (test_no_backends)", async () => {
    configure({});

    await expect(noopTask.enqueue()).rejects.toBeInstanceOf(InvalidTaskBackend);
    await expect(noopTask.enqueue()).rejects.toThrow("The connection 'default' doesn't exist.");
  });

  it("takesContext with a function that has no first parameter raises InvalidTask (test_takes_context_without_taking_context)", () => {
    expect(() =>
      task(import.meta, { takesContext: true }, function meaningOfLife() {
        return 42;
      }),
    ).toThrow(new InvalidTask("Task takes context but does not have a first argument of 'context'."));
  });

  it("runAfter cannot be set in task() options, only through using() (test_run_after_in_decorator)", () => {
    const options = { runAfter: new Date() } as object as { priority?: number };
    expect(() => task(import.meta, options, function deferredAtDefinition() {})).toThrow(InvalidTask);
    expect(() => task(import.meta, options, function deferredAtDefinition() {})).toThrow(
      /^Unknown option 'runAfter' for task .*#deferredAtDefinition; expected one of: priority, queueName, backend, takesContext, timeoutMs, maxAttempts, backoff\.$/,
    );
  });
});
