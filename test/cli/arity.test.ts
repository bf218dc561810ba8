/**
 * `tasklane run` checks the number of arguments against the function's `length` (issue 12, item 5):
 * `tasklane run ./t.mjs#add 1` used to run `add(1, undefined)` and fail with "NaN is not
 * JSON-serializable". `length` counts the parameters before the first default or rest parameter;
 * a context task's first parameter is its context, not an argument.
 */
import { describe, expect, it } from "vitest";
import { immediateConfig, stdoutJson, tasklane } from "./helpers.ts";

const config = ["--config", immediateConfig];

describe("tasklane run: the argument count", () => {
  it("refuses fewer arguments than required parameters, naming the task and the counts", async () => {
    const run = await tasklane(["run", "arity-tasks.mjs#add", "1", ...config]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^tasklane run: Task file:\/\/\/.*arity-tasks\.mjs#add takes 2 arguments \(its function declares 2 parameters before any default or rest parameter\); got 1\./,
    );
    const none = await tasklane(["run", "arity-tasks.mjs#add", ...config]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("#add takes 2 arguments");
    expect(none.stderr).toContain("got 0.");
  });

  it("does not count the context of a context task", async () => {
    const refused = await tasklane(["run", "arity-tasks.mjs#withContext", ...config]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("#withContext takes 1 argument (");
    const ran = await tasklane(["run", "arity-tasks.mjs#withContext", "21", ...config]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(stdoutJson(ran).returnValue).toBe(21);
  });

  it("lets default and rest parameters be left out", async () => {
    const greeted = await tasklane(["run", "arity-tasks.mjs#withDefault", '"Ada"', ...config]);
    expect(stdoutJson(greeted).returnValue).toBe("Hello, Ada!");
    const rest = await tasklane(["run", "arity-tasks.mjs#withRest", '"a"', ...config]);
    expect(stdoutJson(rest).returnValue).toEqual(["a", 0]);
  });

  it("accepts more arguments than parameters, as JavaScript does", async () => {
    const run = await tasklane(["run", "arity-tasks.mjs#add", "1", "2", "3", ...config]);
    expect(stdoutJson(run).returnValue).toBe(3);
  });
});
