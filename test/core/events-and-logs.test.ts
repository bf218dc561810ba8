/**
 * Lifecycle events (Django's task_enqueued / task_started / task_finished signals) and the
 * `Task id=… path=… state=…` log lines (Django's test_enqueue_logs / test_failed_logs).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  getBackend,
  type ImmediateBackend,
  setLogger,
  type TaskEventName,
  type TaskResult,
  TaskResultStatus,
  taskEvents,
} from "../../src/index.ts";
import { calculateMeaningOfLife, failingTaskValueError, noopTask } from "../fixtures/core/tasks.ts";

const offs: (() => void)[] = [];

/** Records every lifecycle event as a plain snapshot of what the listener saw. */
function record(): { event: TaskEventName; id: string; status: string; attempts: number; finished: boolean }[] {
  const seen: { event: TaskEventName; id: string; status: string; attempts: number; finished: boolean }[] = [];
  for (const event of ["taskEnqueued", "taskStarted", "taskProgress", "taskFinished"] as const) {
    offs.push(
      taskEvents.on(event, (r) =>
        seen.push({ event, id: r.id, status: r.status, attempts: r.attempts, finished: r.isFinished }),
      ),
    );
  }
  return seen;
}

/** Resolves with the next process warning carrying `code`; rejects after a deadline. */
/**
 * The next process warning with this code. Node's own printer is taken off while waiting, so the
 * expected warning is asserted here instead of printed among the test results.
 */
function nextWarning(code: string): Promise<Error> {
  const printers = process.listeners("warning");
  for (const printer of printers) process.off("warning", printer);
  const restore = () => {
    for (const printer of printers) process.on("warning", printer);
  };
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      process.off("warning", onWarning);
      restore();
      reject(new Error(`no ${code} warning within 10 s`));
    }, 10_000);
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code !== code) return;
      clearTimeout(deadline);
      process.off("warning", onWarning);
      restore();
      resolve(warning);
    };
    process.on("warning", onWarning);
  });
}

beforeEach(() => {
  configure({ default: { backend: "immediate", queues: [] }, dummy: { backend: "dummy" } });
});

afterEach(async () => {
  for (const off of offs.splice(0)) off();
  setLogger(null);
  await closeAll();
});

describe("events (Django's task signals)", () => {
  it("immediate emits enqueued → started → finished, with the status at each step", async () => {
    const seen = record();

    const result = await calculateMeaningOfLife.enqueue();

    expect(seen).toEqual([
      { event: "taskEnqueued", id: result.id, status: "READY", attempts: 0, finished: false },
      { event: "taskStarted", id: result.id, status: "RUNNING", attempts: 1, finished: false },
      { event: "taskFinished", id: result.id, status: "SUCCESSFUL", attempts: 1, finished: true },
    ]);
  });

  it("taskStarted carries the worker id appended and startedAt set; taskFinished the outcome", async () => {
    let started: TaskResult | undefined;
    let finished: TaskResult | undefined;
    offs.push(
      taskEvents.on("taskStarted", (r) => {
        started = r;
      }),
    );
    offs.push(
      taskEvents.on("taskFinished", (r) => {
        finished = r;
      }),
    );

    await calculateMeaningOfLife.enqueue();

    expect(started!.workerIds).toEqual([(getBackend() as ImmediateBackend).workerId]);
    expect(started!.startedAt).not.toBeNull();
    expect(started!.finishedAt).toBeNull();
    expect(() => started!.returnValue).toThrow("Task has not finished yet");
    expect(finished!.returnValue).toBe(42);
    expect(finished!.finishedAt).not.toBeNull();
  });

  it("a failing task's taskFinished carries FAILED and the error", async () => {
    const seen = record();
    let finished: TaskResult | undefined;
    offs.push(
      taskEvents.on("taskFinished", (r) => {
        finished = r;
      }),
    );

    await failingTaskValueError.enqueue();

    expect(seen.map((s) => `${s.event} ${s.status}`)).toEqual([
      "taskEnqueued READY",
      "taskStarted RUNNING",
      "taskFinished FAILED",
    ]);
    expect(finished!.errors.map((e) => e.exceptionClassPath)).toEqual(["ValueError"]);
  });

  it("the dummy backend emits taskEnqueued only", async () => {
    const seen = record();

    const result = await noopTask.using({ backend: "dummy" }).enqueue();

    expect(seen).toEqual([{ event: "taskEnqueued", id: result.id, status: "READY", attempts: 0, finished: false }]);
  });

  it("a refused enqueue emits nothing", async () => {
    const seen = record();

    await expect(noopTask.enqueue(new Date() as never)).rejects.toThrow(TypeError);

    expect(seen).toEqual([]);
  });

  it("a listener that throws does not break the backend nor the other listeners (send_robust)", async () => {
    const warned = nextWarning("TASKLANE_LISTENER_ERROR");
    const errorLines: string[] = [];
    setLogger({ debug: () => {}, error: (line) => errorLines.push(line) });
    const after: string[] = [];
    offs.push(
      taskEvents.on("taskStarted", () => {
        throw new Error("listener boom");
      }),
    );
    offs.push(taskEvents.on("taskStarted", (r) => after.push(r.status)));

    const result = await calculateMeaningOfLife.enqueue();

    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(result.returnValue).toBe(42);
    expect(after).toEqual(["RUNNING"]);
    const warning = await warned;
    expect(warning.message).toContain("a 'taskStarted' listener threw");
    expect(warning.message).toContain("listener boom");
    expect(
      errorLines.some((line) => line.includes("'taskStarted' listener threw") && line.includes("listener boom")),
    ).toBe(true);
  });

  it("on() returns a function that removes the listener; off() does the same", async () => {
    const calls: string[] = [];
    const listener = (r: TaskResult) => calls.push(r.id);
    const off = taskEvents.on("taskFinished", listener);
    const first = await noopTask.enqueue();
    off();
    await noopTask.enqueue();
    taskEvents.on("taskFinished", listener);
    taskEvents.off("taskFinished", listener);
    await noopTask.enqueue();

    expect(calls).toEqual([first.id]);
    expect(taskEvents.has("taskFinished")).toBe(false);
  });

  it("a snapshot from taskEnqueued is READY and refresh() brings it up to date", async () => {
    let snapshot: TaskResult | undefined;
    offs.push(
      taskEvents.on("taskEnqueued", (r) => {
        snapshot = r;
      }),
    );

    const result = await calculateMeaningOfLife.enqueue();

    expect(snapshot!.id).toBe(result.id);
    expect(snapshot!.status).toBe(TaskResultStatus.READY);
    await snapshot!.refresh();
    expect(snapshot!.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(snapshot!.returnValue).toBe(42);
    expect(snapshot!.toJSON()).toEqual(result.toJSON());
  });
});

describe("log lines (Django test_immediate_backend / test_dummy_backend logs)", () => {
  function capture(): { debug: string[]; error: string[] } {
    const lines = { debug: [] as string[], error: [] as string[] };
    setLogger({ debug: (line) => lines.debug.push(line), error: (line) => lines.error.push(line) });
    return lines;
  }

  it("a successful task logs READY, RUNNING and SUCCESSFUL at debug level (test_enqueue_logs)", async () => {
    const lines = capture();

    const result = await noopTask.enqueue();

    const prefix = `Task id=${result.id} path=${noopTask.modulePath}`;
    expect(lines.debug).toEqual([`${prefix} state=READY`, `${prefix} state=RUNNING`, `${prefix} state=SUCCESSFUL`]);
    expect(lines.error).toEqual([]);
  });

  it("a failing task logs READY, RUNNING, then FAILED at error level with the traceback (test_failed_logs)", async () => {
    const lines = capture();

    const result = await failingTaskValueError.enqueue();

    const prefix = `Task id=${result.id} path=${failingTaskValueError.modulePath}`;
    expect(lines.debug).toEqual([`${prefix} state=READY`, `${prefix} state=RUNNING`]);
    expect(lines.error).toHaveLength(1);
    expect(lines.error[0]).toBe(`${prefix} state=FAILED\n${result.errors[0]!.traceback}`);
    expect(lines.error[0]).toContain("ValueError: This Task failed due to ValueError");
  });

  it("no log line shows undefined or null (test_successful_task_no_none_type_in_logs)", async () => {
    const lines = capture();

    const result = await noopTask.enqueue();

    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
    for (const line of [...lines.debug, ...lines.error]) {
      expect(line).not.toMatch(/undefined|null|NaN/);
    }
  });

  it("setLogger(null) restores the default logger (off unless NODE_DEBUG=tasklane)", async () => {
    const lines = capture();
    setLogger(null);

    await noopTask.enqueue();

    expect(lines.debug).toEqual([]);
  });
});
