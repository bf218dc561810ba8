/**
 * The validation rules of semantics.md §2 with Django's messages and Django's order, where they are
 * checked (definition, using(), enqueue), and tasklane's rule 1: a task must be exported from its
 * module under its own name (twins of Django's is_module_level_function tests).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AnyTask,
  BaseTaskBackend,
  closeAll,
  configure,
  DummyBackend,
  getBackend,
  InvalidTask,
  InvalidTaskBackend,
  type JsonValue,
  type TaskContext,
  type TaskOptions,
  TaskResult,
  TaskResultStatus,
  task,
} from "../../src/index.ts";
// Imported before configure() runs (beforeEach), like an app's task modules: see the fixture.
import {
  asyncDefinedEarly,
  definitionErrors,
  hidden,
  onLaterBackend,
  onReportsQueue,
  withPriority,
} from "../fixtures/core/definition-time.ts";
import {
  builtinTask,
  makeInnerTask,
  methodTask,
  reachableOnlyThroughAnObject,
  renamedTask,
} from "../fixtures/core/not-exported.ts";
import { noopTask, noopTaskAsync, reportsProgress } from "../fixtures/core/tasks.ts";

const RULE_2 = "Backend does not support async Tasks.";
const RULE_3 = "Task takes context but does not have a first argument of 'context'.";
const RULE_4 = "Backend does not support setting priority of tasks.";
const RULE_5 = "priority must be a whole number between -100 and 100.";
const RULE_6 = "Backend does not support run_after.";
/** Django's sentence, which tasklane follows with the task, the alias and the accepted queues. */
const rule7 = (queue: string) => new RegExp(`^Queue '${queue}' is not valid for backend\\. \\(task `);

/** Supports nothing: no async, no priority, no defer, no result lookup. */
class StrictBackend extends BaseTaskBackend {
  override async enqueue(t: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    return new TaskResult(this.newState(t, args));
  }
}

const taskOptions = (o: object) => o as TaskOptions & { takesContext?: false };

function dummy(alias = "default"): DummyBackend {
  const backend = getBackend(alias);
  if (!(backend instanceof DummyBackend)) throw new Error(`'${alias}' should be a dummy backend`);
  return backend;
}

beforeEach(() => {
  configure({
    default: { backend: "dummy", queues: [] },
    strict: { backend: StrictBackend, queues: ["default"] },
    immediate: { backend: "immediate", queues: ["default"] },
    later: { backend: "dummy" },
  });
});

afterEach(async () => {
  await closeAll();
});

describe("validation before configure(): only the backend-independent rules run at definition", () => {
  it("tasks breaking backend rules are defined without error before configure()", () => {
    expect(onReportsQueue.queueName).toBe("reports");
    expect(withPriority.priority).toBe(50);
    expect(asyncDefinedEarly.isAsync).toBe(true);
    expect(onLaterBackend.backend).toBe("later");
  });

  it("the rules that need no backend are still checked at definition, with Django's messages", () => {
    expect(definitionErrors.priorityTooHigh).toEqual(new InvalidTask(RULE_5));
    expect(definitionErrors.priorityNotWhole).toEqual(new InvalidTask(RULE_5));
    expect(definitionErrors.contextWithoutParameter).toEqual(new InvalidTask(RULE_3));
    expect(definitionErrors.emptyQueueName).toEqual(new InvalidTask("queueName must be a non-empty string."));
    expect(definitionErrors.unknownOption).toBeInstanceOf(InvalidTask);
    expect((definitionErrors.unknownOption as Error).message).toMatch(/^Unknown option 'queue' for task /);
    expect(definitionErrors.anonymous).toBeInstanceOf(InvalidTask);
  });

  it("enqueue checks everything again against the backend configured since (test_validate_on_enqueue)", async () => {
    configure({ default: { backend: "dummy", queues: ["default"] }, strict: { backend: StrictBackend } });

    await expect(onReportsQueue.enqueue(1)).rejects.toThrow(rule7("reports"));
    await expect(withPriority.using({ backend: "default" }).enqueue()).resolves.toBeInstanceOf(TaskResult);
    expect(dummy().results).toHaveLength(1);
  });

  it("a backend-independent definition still enqueues once its backend alias is configured", async () => {
    const result = await onLaterBackend.enqueue();

    expect(result.backend).toBe("later");
    expect(dummy("later").results.map((r) => r.id)).toEqual([result.id]);
  });

  it("an early-defined async task or priority is refused at enqueue by a backend without support", async () => {
    configure({ default: { backend: StrictBackend } });

    await expect(asyncDefinedEarly.enqueue()).rejects.toThrow(new InvalidTask(RULE_2));
    await expect(withPriority.enqueue()).rejects.toThrow(new InvalidTask(RULE_4));
  });
});

describe("validation after configure(): definition still needs no backend; using() checks it (unlike Django)", () => {
  it("a task on an unknown queue is defined, and refused once used", () => {
    const reportsNow = task(import.meta, { queueName: "reports", backend: "strict" }, function reportsNow() {
      return 1;
    });
    expect(() => reportsNow.using({})).toThrow(rule7("reports"));
  });

  it("a task on an unknown alias is defined, and refused once used", () => {
    const onNope = task(import.meta, { backend: "nope" }, function onNope() {});
    expect(() => onNope.using({})).toThrow(new InvalidTaskBackend("The connection 'nope' doesn't exist."));
  });

  it("an async task is defined, and refused once used on a backend without async support", () => {
    const asyncNow = task(import.meta, { backend: "strict" }, async function asyncNow() {});
    expect(() => asyncNow.using({})).toThrow(new InvalidTask(RULE_2));
  });

  it("unknown option names are refused by task() and by using()", () => {
    expect(() => task(import.meta, taskOptions({ prio: 1 }), function typo() {})).toThrow(
      /^Unknown option 'prio' for task .*#typo; expected one of: priority, queueName, backend, takesContext, timeoutMs, maxAttempts, backoff\.$/,
    );
    expect(() => noopTask.using({ queue_name: "x" } as object as { priority?: number })).toThrow(
      new InvalidTask(
        "Unknown option 'queue_name' for using(); expected one of: priority, queueName, backend, runAfter, signal, timeoutMs, maxAttempts, backoff.",
      ),
    );
    expect(() => task(import.meta, taskOptions({ takesContext: "yes" }), function notBoolean() {})).toThrow(
      /^takesContext must be a boolean/,
    );
  });
});

describe("Django's order of the rules: a task breaking two rules reports the earlier one", () => {
  const soon = new Date(Date.now() + 60_000);

  it("each rule alone, with its exact message (validateTask on a backend supporting nothing)", () => {
    const strict = getBackend("strict");
    expect(() => strict.validateTask(noopTaskAsync)).toThrow(new InvalidTask(RULE_2));
    expect(() => strict.validateTask(noopTask.using({ priority: 5 }))).toThrow(new InvalidTask(RULE_4));
    expect(() => strict.validateTask(noopTask.using({ runAfter: soon }))).toThrow(new InvalidTask(RULE_6));
    expect(() => strict.validateTask(noopTask.using({ queueName: "other" }))).toThrow(rule7("other"));
    expect(() => strict.validateTask(noopTask)).not.toThrow();
  });

  it("rule 2 (async) before rules 4, 6 and 7", () => {
    const all = noopTaskAsync.using({ priority: 5, runAfter: soon, queueName: "other" });
    expect(() => getBackend("strict").validateTask(all)).toThrow(new InvalidTask(RULE_2));
  });

  it("at definition rule 3 (context) is reported even for an async task: rule 2 needs the backend", () => {
    expect(() =>
      task(import.meta, { takesContext: true, backend: "strict" }, async function asyncWithoutContext() {
        return 1;
      }),
    ).toThrow(new InvalidTask(RULE_3));
  });

  it("rule 3 (context) before rule 4 (priority), at definition", () => {
    expect(() =>
      task(import.meta, { takesContext: true, priority: 5, backend: "strict" }, function contextAndPriority() {
        return 1;
      }),
    ).toThrow(new InvalidTask(RULE_3));
  });

  it("rule 4 (priority unsupported) before rule 5 (priority range)", () => {
    expect(() => noopTask.using({ backend: "strict", priority: 101 })).toThrow(new InvalidTask(RULE_4));
    expect(() => noopTask.using({ priority: 101 })).toThrow(new InvalidTask(RULE_5));
  });

  it("rule 4 (priority) before rule 6 (run_after) and rule 7 (queue)", () => {
    const t = noopTask.using({ priority: 5, runAfter: soon, queueName: "other" });
    expect(() => getBackend("strict").validateTask(t)).toThrow(new InvalidTask(RULE_4));
  });

  it("rule 5 (priority range) before rule 6 (run_after) and rule 7 (queue)", () => {
    expect(() => noopTask.using({ backend: "immediate", priority: 3.5, runAfter: soon })).toThrow(
      new InvalidTask(RULE_5),
    );
    expect(() => noopTask.using({ backend: "immediate", priority: 101, queueName: "other" })).toThrow(
      new InvalidTask(RULE_5),
    );
  });

  it("rule 6 (run_after) before rule 7 (queue)", () => {
    expect(() => noopTask.using({ backend: "strict", runAfter: soon, queueName: "other" })).toThrow(
      new InvalidTask(RULE_6),
    );
  });

  it("rule 1 (exported) is reported before rule 7 at enqueue", async () => {
    configure({ default: { backend: "dummy", queues: ["default"] } });

    await expect(hidden.hiddenOnReportsQueue.enqueue()).rejects.toThrow(/^Task function must be exported/);
    expect(dummy().results).toEqual([]);
  });

  it("rule 1 (exported) is reported before the JSON check of the arguments", async () => {
    await expect(reachableOnlyThroughAnObject.hiddenEcho.enqueue(new Date() as unknown as JsonValue)).rejects.toThrow(
      /^Task function must be exported/,
    );
  });

  it("the task rules are reported before the JSON check of the arguments, and nothing is stored", async () => {
    configure({ default: { backend: "dummy", queues: ["default"] } });

    await expect(onReportsQueue.enqueue(new Date() as unknown as JsonValue)).rejects.toThrow(rule7("reports"));
    expect(dummy().results).toEqual([]);
  });

  it("an unknown alias is reported before everything else at enqueue", async () => {
    configure({ other: { backend: "dummy" } });

    await expect(hidden.hiddenOnReportsQueue.enqueue()).rejects.toThrow(
      new InvalidTaskBackend("The connection 'default' doesn't exist."),
    );
  });
});

describe("rule 1: the task must be exported from its module (Django's is_module_level_function)", () => {
  it("an exported task enqueues (test_from_module)", async () => {
    const result = await noopTask.enqueue();
    expect(result.status).toBe(TaskResultStatus.READY);
  });

  it("an exported async task enqueues (test_coroutine)", async () => {
    const result = await noopTaskAsync.enqueue();
    expect(result.status).toBe(TaskResultStatus.READY);
  });

  it("a task reachable only through an object is refused at enqueue, naming its module path (test_private_function)", async () => {
    const t = reachableOnlyThroughAnObject.hiddenTask;
    const moduleUrl = new URL("../fixtures/core/not-exported.ts", import.meta.url).href;
    expect(t.modulePath).toBe(`${moduleUrl}#hiddenTask`);

    const refused = t.enqueue();
    await expect(refused).rejects.toBeInstanceOf(InvalidTask);
    await expect(t.enqueue()).rejects.toThrow(
      `Task function must be exported from its module under its own name: ${moduleUrl}#hiddenTask is not an export of ${moduleUrl}`,
    );
    expect(dummy().results).toEqual([]);
  });

  it("a task made inside a function is refused at enqueue (test_private_function)", async () => {
    const inner = makeInnerTask();
    await expect(inner.enqueue()).rejects.toThrow(/^Task function must be exported .*#innerTask is not an export/);
  });

  it("a task exported under another name than its function's is refused at enqueue", async () => {
    await expect(renamedTask.enqueue()).rejects.toThrow(/#originalName is not an export of /);
  });

  it("a bound method is refused at enqueue (test_method)", async () => {
    expect(methodTask.name).toBe("greet");
    await expect(methodTask.enqueue()).rejects.toThrow(/#greet is not an export of /);
  });

  it("a built-in function is refused at enqueue (test_builtin)", async () => {
    expect(builtinTask.name).toBe("max");
    await expect(builtinTask.enqueue()).rejects.toThrow(/#max is not an export of /);
  });

  it("an anonymous function is refused at definition (test_lambda)", () => {
    expect(() => task(import.meta, () => true)).toThrow(InvalidTask);
    expect(() =>
      task(
        import.meta,
        (
          () => () =>
            1
        )(),
      ),
    ).toThrow(/^Task function must be a named function/);
  });

  it("the refusal is not cached as success: it stays refused on every enqueue", async () => {
    const t = reachableOnlyThroughAnObject.hiddenTask;
    for (let i = 0; i < 3; i++) await expect(t.enqueue()).rejects.toBeInstanceOf(InvalidTask);
  });

  it("a context task's declared context parameter is accepted (rule 3 by the declared option)", () => {
    const fn = function withContext(context: TaskContext, n: number) {
      return context.attempt + n;
    };
    expect(task(import.meta, { takesContext: true }, fn).takesContext).toBe(true);
    expect(reportsProgress.takesContext).toBe(true);
  });
});
