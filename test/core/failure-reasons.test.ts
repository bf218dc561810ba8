/**
 * What a failure says (issue 12, item 5): `returnValue` of a FAILED result throws a coded error with
 * the last error's class and message and the error as its `cause`; `TaskResultMismatch` names the
 * task that was expected as well as the one received.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAll, configure, TaskFailed, TasklaneError, TaskResultMismatch } from "../../src/index.ts";
import { calculateMeaningOfLife, failingTaskThrowsString, failingTaskValueError } from "../fixtures/core/tasks.ts";

beforeEach(() => {
  configure({ default: { backend: "immediate" } });
});

afterEach(async () => {
  await closeAll();
});

function thrown(read: () => unknown): unknown {
  try {
    read();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("returnValue of a FAILED result", () => {
  it("throws TaskFailed with the last error's class and message, the task and the result id", async () => {
    const result = await failingTaskValueError.enqueue();
    const error = thrown(() => result.returnValue);
    expect(error).toBeInstanceOf(TaskFailed);
    expect(error).toBeInstanceOf(TasklaneError);
    const failed = error as TaskFailed;
    expect(failed.code).toBe("TASKLANE_TASK_FAILED");
    expect(failed.message).toBe(
      `Task failed: ValueError: This Task failed due to ValueError (task ${failingTaskValueError.modulePath}, result ${result.id})`,
    );
    expect(failed.cause).toBe(result.errors.at(-1));
  });

  it("says so for a thrown string too", async () => {
    const result = await failingTaskThrowsString.enqueue();
    expect(() => result.returnValue).toThrow(
      /^Task failed: thrown string: This Task failed by throwing a string \(task /,
    );
  });
});

describe("TaskResultMismatch", () => {
  it("names the task whose result it is and the task that asked", async () => {
    const result = await failingTaskValueError.enqueue();
    await expect(calculateMeaningOfLife.getResult(result.id)).rejects.toThrow(
      new TaskResultMismatch(
        `Task does not match (received '${failingTaskValueError.modulePath}', expected '${calculateMeaningOfLife.modulePath}'; result ${result.id})`,
      ),
    );
  });
});
