/**
 * Twins of Django's tests/tasks/test_custom_backend.py, and the configuration around backends:
 * loading by name or class, capability flags, option validation, configure() and closeAll().
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AnyTask,
  type BackendClass,
  type BackendParams,
  BaseTaskBackend,
  closeAll,
  configure,
  DummyBackend,
  getBackend,
  ImmediateBackend,
  InvalidTask,
  InvalidTaskBackend,
  TaskResult,
  TaskResultStatus,
} from "../../src/index.ts";
import { calculateMeaningOfLife, noopTask, noopTaskAsync } from "../fixtures/core/tasks.ts";

/** Django's CustomBackend: reads a `prefix` option and logs a line per enqueue. */
class CustomBackend extends BaseTaskBackend {
  override readonly supportsAsyncTask: boolean = true;
  readonly prefix: string;
  readonly logged: string[] = [];

  constructor(params: BackendParams) {
    super(params);
    this.prefix = typeof this.options.prefix === "string" ? this.options.prefix : "";
  }

  override async enqueue(t: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    const result = new TaskResult(this.newState(t, args));
    this.logged.push(`${this.prefix}Task enqueued.`);
    return result;
  }
}

/** The same, without async support (Django patches the flag with mock.patch.multiple). */
class CustomBackendWithoutAsync extends CustomBackend {
  override readonly supportsAsyncTask: boolean = false;
}

/** Django's CustomBackendNoEnqueue: declares no enqueue (only a cast gets it past the compiler). */
abstract class CustomBackendNoEnqueue extends BaseTaskBackend {}

/** Every capability switched on, so validateTask has nothing to refuse but the queue. */
class CapableBackend extends CustomBackend {
  override readonly supportsDefer: boolean = true;
  override readonly supportsPriority: boolean = true;
  override readonly supportsGetResult: boolean = true;
}

class NotABackend {
  enqueue(): void {}
}

class BrokenBackend extends BaseTaskBackend {
  constructor(params: BackendParams) {
    super(params);
    throw new Error("cannot reach the broker");
  }
  override async enqueue(t: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    return new TaskResult(this.newState(t, args));
  }
}

function custom(alias = "default"): CustomBackend {
  const backend = getBackend(alias);
  if (!(backend instanceof CustomBackend)) throw new Error(`'${alias}' should be a CustomBackend`);
  return backend;
}

beforeEach(() => {
  configure({
    default: { backend: CustomBackend, options: { prefix: "PREFIX: " } },
    noAsync: { backend: CustomBackendWithoutAsync },
    capable: { backend: CapableBackend, queues: ["default", "reports"] },
    no_enqueue: { backend: CustomBackendNoEnqueue as unknown as BackendClass },
  });
});

afterEach(async () => {
  await closeAll();
});

describe("custom backends (Django test_custom_backend.py)", () => {
  it("a subclass configured by class is the alias's backend, with its alias and options (test_using_correct_backend)", () => {
    expect(getBackend()).toBe(getBackend("default"));
    expect(getBackend()).toBeInstanceOf(CustomBackend);
    expect(getBackend().alias).toBe("default");
    expect(getBackend().options).toEqual({ prefix: "PREFIX: " });
    expect([...getBackend().queues]).toEqual(["default"]);
  });

  it("an async task is refused by a backend without async support (test_enqueue_async_task_on_non_async_backend)", async () => {
    expect(() => getBackend("noAsync").validateTask(noopTaskAsync)).toThrow(
      new InvalidTask("Backend does not support async Tasks."),
    );
    await expect(noopTaskAsync.enqueue()).resolves.toBeInstanceOf(TaskResult);
  });

  it("priority is refused by a backend without priority support (test_backend_does_not_support_priority)", () => {
    expect(() => noopTask.using({ priority: 10 })).toThrow(
      new InvalidTask("Backend does not support setting priority of tasks."),
    );
  });

  it("the backend reads its own options (test_options)", async () => {
    const result = await noopTask.enqueue();

    expect(custom().logged).toEqual(["PREFIX: Task enqueued."]);
    expect(result.status).toBe(TaskResultStatus.READY);
    expect(result.backend).toBe("default");
  });

  it("a backend class without enqueue cannot be loaded: InvalidTaskBackend naming it (test_no_enqueue)", () => {
    expect(() => noopTask.using({ backend: "no_enqueue" })).toThrow(InvalidTaskBackend);
    expect(() => getBackend("no_enqueue")).toThrow(
      "Could not load backend for 'no_enqueue': Can't instantiate backend class CustomBackendNoEnqueue without an implementation of enqueue().",
    );
  });
});

describe("capability flags are enforced by validateTask", () => {
  const soon = new Date(Date.now() + 60_000);

  it("a backend supporting nothing refuses runAfter", () => {
    expect(() => noopTask.using({ runAfter: soon })).toThrow(new InvalidTask("Backend does not support run_after."));
  });

  it("a backend with the flags set accepts priority, runAfter and async tasks, but still checks queues", () => {
    const t = noopTaskAsync.using({ backend: "capable", priority: 10, runAfter: soon, queueName: "reports" });
    expect(() => getBackend("capable").validateTask(t)).not.toThrow();
    expect(() => t.using({ queueName: "other" })).toThrow(/^Queue 'other' is not valid for backend\./);
  });

  it("the flags default to false on BaseTaskBackend", () => {
    const backend = getBackend();
    expect(backend.supportsDefer).toBe(false);
    expect(backend.supportsPriority).toBe(false);
    expect(backend.supportsGetResult).toBe(false);
    expect(getBackend("noAsync").supportsAsyncTask).toBe(false);
  });

  it("the built-in backends declare their capabilities", () => {
    configure({ immediate: { backend: "immediate" }, dummy: { backend: "dummy" } });
    expect(getBackend("immediate")).toMatchObject({
      supportsDefer: false,
      supportsAsyncTask: true,
      supportsGetResult: true,
      supportsPriority: true,
    });
    expect(getBackend("dummy")).toMatchObject({
      supportsDefer: true,
      supportsAsyncTask: true,
      supportsGetResult: true,
      supportsPriority: true,
    });
  });

  it("a backend without getResult support makes task.getResult reject", async () => {
    const result = await noopTask.enqueue();
    await expect(noopTask.getResult(result.id)).rejects.toThrow(
      "Backend 'default' does not support retrieving or refreshing results.",
    );
  });
});

describe("loading backends", () => {
  it("an alias that is not configured: InvalidTaskBackend 'The connection … doesn't exist.'", () => {
    expect(() => getBackend("x")).toThrow(new InvalidTaskBackend("The connection 'x' doesn't exist."));
  });

  it("an unknown built-in name: InvalidTaskBackend naming it and the alias", () => {
    configure({ default: { backend: "celery" } });
    expect(() => getBackend()).toThrow(InvalidTaskBackend);
    expect(() => getBackend()).toThrow(
      /^Could not load backend 'celery' for 'default': not a built-in backend \(immediate, dummy.*\); a custom backend is configured as its class\.$/,
    );
  });

  it("a class that is not a backend: InvalidTaskBackend naming the class", () => {
    configure({ default: { backend: NotABackend as unknown as BackendClass } });
    expect(() => getBackend()).toThrow(
      new InvalidTaskBackend(
        "Could not load backend for 'default': class NotABackend is not a subclass of BaseTaskBackend.",
      ),
    );
  });

  it("a backend whose constructor throws: InvalidTaskBackend naming the alias and the cause", () => {
    configure({ broken: { backend: BrokenBackend } });
    let thrown: unknown;
    try {
      getBackend("broken");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toEqual(new InvalidTaskBackend("Could not load backend for 'broken': cannot reach the broker"));
    expect((thrown as Error).cause).toEqual(new Error("cannot reach the broker"));
  });

  it("a task on an alias whose backend cannot be loaded fails at enqueue with InvalidTaskBackend", async () => {
    configure({ default: { backend: "celery" } });
    await expect(noopTask.enqueue()).rejects.toBeInstanceOf(InvalidTaskBackend);
  });
});

describe("backend options are validated", () => {
  it.each([
    [
      { max_results: 10 },
      "Unknown option 'max_results' for backend 'default' (immediate); expected one of: maxResults.",
    ],
    [{ maxResults: 0 }, "Option 'maxResults' of backend 'default' (immediate) must be a whole number >= 1 (got 0)."],
    [
      { maxResults: 2.5 },
      "Option 'maxResults' of backend 'default' (immediate) must be a whole number >= 1 (got 2.5).",
    ],
    [
      { maxResults: "10" },
      `Option 'maxResults' of backend 'default' (immediate) must be a whole number >= 1 (got "10").`,
    ],
    [{ maxResults: -1 }, "Option 'maxResults' of backend 'default' (immediate) must be a whole number >= 1 (got -1)."],
  ])("immediate with options %j is refused", (options, message) => {
    configure({ default: { backend: "immediate", options } });
    expect(() => getBackend()).toThrow(new InvalidTaskBackend(message));
  });

  it("the dummy backend takes no options", () => {
    configure({ default: { backend: "dummy", options: { maxResults: 5 } } });
    expect(() => getBackend()).toThrow(
      new InvalidTaskBackend("Unknown option 'maxResults' for backend 'default' (dummy); it takes no options."),
    );
  });

  it("valid options are accepted", async () => {
    configure({ default: { backend: "immediate", options: { maxResults: 5 } } });
    expect(getBackend().options).toEqual({ maxResults: 5 });
    expect((await calculateMeaningOfLife.enqueue()).returnValue).toBe(42);
  });
});

describe("configure() and closeAll()", () => {
  it("the instance for an alias is created once and reused", () => {
    expect(getBackend()).toBe(getBackend());
  });

  it("configure() replaces the whole configuration", async () => {
    const before = getBackend();

    configure({ default: { backend: "dummy", queues: [] } });

    expect(getBackend()).toBeInstanceOf(DummyBackend);
    expect(getBackend()).not.toBe(before);
    expect(() => getBackend("capable")).toThrow(new InvalidTaskBackend("The connection 'capable' doesn't exist."));

    configure({ default: { backend: "immediate", queues: [] } });
    expect(getBackend()).toBeInstanceOf(ImmediateBackend);
    expect((await calculateMeaningOfLife.enqueue()).returnValue).toBe(42);
  });

  it("closeAll() gives fresh instances of the same configuration; the old ones are closed", async () => {
    let closed = 0;
    class ClosingBackend extends CustomBackend {
      override async close(): Promise<void> {
        closed++;
      }
    }
    configure({ default: { backend: ClosingBackend }, dummy: { backend: "dummy" } });
    const first = getBackend();
    const firstDummy = getBackend("dummy") as DummyBackend;
    await noopTask.using({ backend: "dummy" }).enqueue();
    expect(firstDummy.results).toHaveLength(1);

    await closeAll();

    expect(closed).toBe(1);
    const second = getBackend();
    expect(second).toBeInstanceOf(ClosingBackend);
    expect(second).not.toBe(first);
    expect((getBackend("dummy") as DummyBackend).results).toEqual([]);
  });

  it("configure() closes the backends it replaces, and closeAll() waits for that", async () => {
    let releaseClose!: () => void;
    let closeFinished = false;
    class SlowClosingBackend extends CustomBackend {
      override async close(): Promise<void> {
        await new Promise<void>((resolve) => {
          releaseClose = resolve;
        });
        closeFinished = true;
      }
    }
    configure({ default: { backend: SlowClosingBackend } });
    getBackend();

    configure({ default: { backend: "dummy" } });
    let settled = false;
    const closing = closeAll().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect(closeFinished).toBe(false);

    releaseClose();
    await closing;

    expect(closeFinished).toBe(true);
  });

  it("configure() refuses a malformed entry", () => {
    expect(() => configure({ default: { backend: "immediate", queue: ["x"] } as never })).toThrow(
      new InvalidTaskBackend(
        "Configuration of 'default' has unknown key 'queue'; expected backend, queues, options, schedules.",
      ),
    );
    expect(() => configure({ default: { backend: "immediate", queues: [""] } })).toThrow(InvalidTaskBackend);
    expect(() => configure({ default: { backend: 42 } as never })).toThrow(InvalidTaskBackend);
  });

  it("a task defined before a configuration change follows the configuration current at enqueue", async () => {
    const t = noopTask.using({});
    configure({ default: { backend: "immediate", queues: [] } });

    const result = await t.enqueue();

    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
  });
});
