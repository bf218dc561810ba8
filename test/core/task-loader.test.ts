/**
 * The one task loader (src/task-loader.ts): a module path back to a Task, with one wording for
 * every way it can fail, whoever asks (enqueue's export check, the CLI, the workers).
 */
import { describe, expect, it } from "vitest";
import { TaskModuleError } from "../../src/errors.ts";
import { importError, loadTask, splitModulePath, taskExports, taskFromNamespace } from "../../src/task-loader.ts";
import * as coreTasks from "../fixtures/core/tasks.ts";

const TASKS = new URL("../fixtures/core/tasks.ts", import.meta.url).href;
const THROWS = new URL("../fixtures/pool/throws-at-import.ts", import.meta.url).href;

describe("task loader", () => {
  it("loads the task a module exports, the very object the module holds", async () => {
    const loaded = await loadTask(TASKS, "noopTask");
    expect(loaded).toBe(coreTasks.noopTask);
    expect(loaded.modulePath).toBe(`${TASKS}#noopTask`);
  });

  it("names the module and the export when the export is missing or not a task", async () => {
    await expect(loadTask(TASKS, "nope")).rejects.toThrow(
      new TaskModuleError(`Task module ${TASKS} has no export 'nope'`),
    );
    const error = await loadTask(TASKS, "ValueError").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskModuleError);
    expect((error as Error).message).toContain(`Export 'ValueError' of ${TASKS} is not a task (it is a function)`);
  });

  it("wraps an import failure with the module, the export and the cause, whose stack it keeps", async () => {
    const error = (await loadTask(THROWS, "unreachable").catch((e: unknown) => e)) as TaskModuleError;
    expect(error).toBeInstanceOf(TaskModuleError);
    expect(error.message).toMatch(
      /^Cannot import task module .*throws-at-import\.ts \(export 'unreachable'\): Error: /,
    );
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.stack).toContain("Caused by: Error");
    // The same words for a cause that is no Error at all.
    expect(importError("file:///m.mjs", "t", 42).message).toBe(
      "Cannot import task module file:///m.mjs (export 't'): thrown number: 42",
    );
  });

  it("splits a module path at its last '#', and refuses one without both parts", () => {
    expect(splitModulePath("file:///a/b.mjs#run")).toEqual({ moduleUrl: "file:///a/b.mjs", exportName: "run" });
    for (const bad of ["file:///a/b.mjs", "#run", "file:///a/b.mjs#"]) {
      expect(() => splitModulePath(bad)).toThrow(TaskModuleError);
    }
  });

  it("lists a namespace's task exports, and resolves one without importing again", () => {
    const names = taskExports(coreTasks);
    expect(names).toContain("noopTask");
    expect(names).not.toContain("ValueError");
    expect(taskFromNamespace(coreTasks, TASKS, "noopTask")).toBe(coreTasks.noopTask);
  });
});
