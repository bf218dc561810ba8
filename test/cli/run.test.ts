import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtures, immediateConfig, stdoutJson, tasklane } from "./helpers.ts";

const config = ["--config", immediateConfig];

describe("tasklane run: the task runs", () => {
  it("runs a TypeScript task and prints its result as JSON", async () => {
    const run = await tasklane(["run", "./tasks.ts#add", "1", "2", ...config]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const result = stdoutJson(run);
    expect(result).toMatchObject({ status: "SUCCESSFUL", backend: "default", args: [1, 2], returnValue: 3 });
    expect(result.task).toBe(`${pathToFileURL(join(fixtures, "tasks.ts")).href}#add`);
    expect(result.errors).toEqual([]);
    expect(result.attempts).toBe(1);
  });

  it("runs a JavaScript task named by a file: URL", async () => {
    const url = pathToFileURL(join(fixtures, "tasks.mjs")).href;
    const run = await tasklane(["run", `${url}#add`, "20", "22", ...config]);
    expect(run.code).toBe(0);
    expect(stdoutJson(run)).toMatchObject({ status: "SUCCESSFUL", task: `${url}#add`, returnValue: 42 });
  });

  it("resolves a bare file name against the working directory", async () => {
    const run = await tasklane(["run", "tasks.mjs#add", "1", "1", ...config]);
    expect(run.code).toBe(0);
    expect(stdoutJson(run).returnValue).toBe(2);
  });

  it("passes JSON strings, objects and negative numbers", async () => {
    const greet = await tasklane(["run", "tasks.ts#greet", '"Ada"', ...config]);
    expect(stdoutJson(greet).returnValue).toBe("Hello, Ada!");
    const add = await tasklane(["run", "tasks.ts#add", "-1", "-2", ...config]);
    expect(stdoutJson(add).returnValue).toBe(-3);
  });

  it("waits for an async task", async () => {
    const run = await tasklane(["run", "tasks.ts#asyncDouble", "21", ...config]);
    expect(run.code).toBe(0);
    expect(stdoutJson(run).returnValue).toBe(42);
  });

  it("prints null for a task that returns nothing", async () => {
    const run = await tasklane(["run", "tasks.ts#nothing", ...config]);
    expect(run.code).toBe(0);
    expect(stdoutJson(run)).toMatchObject({ status: "SUCCESSFUL", returnValue: null });
  });

  it("exits 1 with the error in the JSON when the task throws", async () => {
    const run = await tasklane(["run", "tasks.ts#fail", '"out of range"', ...config]);
    expect(run.code).toBe(1);
    const result = stdoutJson(run);
    expect(result.status).toBe("FAILED");
    expect(result).not.toHaveProperty("returnValue");
    expect(result.errors).toEqual([
      expect.objectContaining({ exceptionClassPath: "RangeError", message: "out of range" }),
    ]);
    expect(run.stderr).toContain("FAILED: RangeError: out of range");
  });

  it("exits 1 for a failing task of the CLI's own copy of tasklane too", async () => {
    const run = await tasklane(["run", "tasks.mjs#fail", '"nope"', ...config]);
    expect(run.code).toBe(1);
    expect(stdoutJson(run)).toMatchObject({ status: "FAILED", errors: [{ exceptionClassPath: "RangeError" }] });
  });
});

describe("tasklane run: options", () => {
  it("--quiet prints only the return value", async () => {
    const run = await tasklane(["run", "--quiet", "tasks.ts#add", "1", "2", ...config]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("3\n");
  });

  it("--quiet on failure prints nothing on stdout and the traceback on stderr", async () => {
    const run = await tasklane(["run", "-q", "tasks.ts#fail", '"bad"', ...config]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("FAILED: RangeError: bad");
    expect(run.stderr).toContain("at fail (");
  });

  it("--backend, --queue and --priority change how the task is enqueued", async () => {
    for (const file of ["tasks.ts", "tasks.mjs"]) {
      const options = ["--backend", "inline", "--queue", "anything", "--priority", "-7"];
      const run = await tasklane(["run", "-q", `${file}#describeRun`, ...options, ...config]);
      expect(run.stderr).toBe("");
      expect(JSON.parse(run.stdout)).toEqual({ backend: "inline", queueName: "anything", priority: -7 });
    }
  });

  it("--timeout gives up on a task that is still running: exit 1", async () => {
    const run = await tasklane(["run", "tasks.ts#hang", "--timeout", "100", ...config]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/Gave up waiting after 100 ms: task .*tasks\.ts#hang is still running/);
  });

  it("a task that can never finish exits 1 instead of hanging or exiting silently", async () => {
    const run = await tasklane(["run", "tasks.ts#hang", ...config]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("the task can never finish");
  });
});

describe("tasklane run: bad usage or input exits 2 and prints nothing on stdout", () => {
  let scratch: string;

  beforeAll(() => {
    scratch = realpathSync(mkdtempSync(join(tmpdir(), "tasklane-cli-")));
    writeFileSync(join(scratch, "package.json"), '{ "type": "module" }\n');
    // Broken on purpose, so written here rather than kept where biome and tsc would check them.
    writeFileSync(join(scratch, "syntax.mjs"), "export const add = ;\n");
    writeFileSync(join(scratch, "syntax.ts"), "export const add: number = ;\n");
  });

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  async function refused(args: string[], cwd?: string): Promise<string> {
    const run = await tasklane(args, cwd === undefined ? {} : { cwd });
    expect(run.stdout).toBe("");
    expect(run.code).toBe(2);
    return run.stderr;
  }

  it("a module path without #export", async () => {
    const stderr = await refused(["run", "./tasks.ts", ...config]);
    expect(stderr).toContain("'./tasks.ts' must name a module and an export, separated by '#'");
  });

  it("a module file that does not exist", async () => {
    const stderr = await refused(["run", "./missing.ts#add", ...config]);
    expect(stderr).toContain(`Task module not found: ${join(fixtures, "missing.ts")}`);
  });

  it("a module that throws while it is imported: names the module and the cause", async () => {
    const stderr = await refused(["run", "broken-import.ts#useSecret", ...config]);
    expect(stderr).toContain(`Could not import task module ${join(fixtures, "broken-import.ts")}`);
    expect(stderr).toContain("Error: TASKS_SECRET is not set");
  });

  it("a module with a syntax error, JavaScript or TypeScript", async () => {
    const js = await refused(["run", "syntax.mjs#add"], scratch);
    expect(js).toContain(`Could not import task module ${join(scratch, "syntax.mjs")}: SyntaxError`);
    const ts = await refused(["run", "syntax.ts#add"], scratch);
    expect(ts).toContain(`Could not import task module ${join(scratch, "syntax.ts")}`);
    expect(ts).toContain("syntax.ts:1:");
  });

  it("no such export: lists the module's task exports", async () => {
    const stderr = await refused(["run", "tasks.mjs#ad", ...config]);
    expect(stderr).toContain("has no export 'ad'. Its task exports: add, describeRun, fail, total.");
  });

  it("an export that is not a task", async () => {
    const fn = await refused(["run", "tasks.ts#helper", ...config]);
    expect(fn).toContain("Export 'helper' of");
    expect(fn).toContain("is not a task (it is a function)");
    const value = await refused(["run", "tasks.mjs#answer", ...config]);
    expect(value).toContain("is not a task (it is a number)");
  });

  it("a task exported under another name than its own, which a worker could not find", async () => {
    for (const file of ["tasks.ts", "tasks.mjs"]) {
      const stderr = await refused(["run", `${file}#total`, "1", "2", ...config]);
      expect(stderr).toContain("must be exported from its module under its own name");
    }
  });

  it("an argument that is not JSON: names its position and shows how to quote strings", async () => {
    const stderr = await refused(["run", "tasks.ts#greet", "hello", ...config]);
    expect(stderr).toContain("Task argument 1 (hello) is not valid JSON");
    expect(stderr).toContain(`'"hello"'`);
    const second = await refused(["run", "tasks.ts#add", "1", "{oops", ...config]);
    expect(second).toContain("Task argument 2 ({oops) is not valid JSON");
  });

  it("options the task validation refuses (queue, priority range)", async () => {
    const queue = await refused(["run", "tasks.ts#add", "1", "2", "--queue", "nope", ...config]);
    expect(queue).toContain("Queue 'nope' is not valid for backend.");
    const priority = await refused(["run", "tasks.mjs#add", "1", "2", "--priority", "500", ...config]);
    expect(priority).toContain("priority must be a whole number between -100 and 100.");
  });

  it("an unknown backend alias: lists the configured ones", async () => {
    const stderr = await refused(["run", "tasks.ts#add", "1", "2", "--backend", "nope", ...config]);
    expect(stderr).toContain(`Unknown backend alias 'nope': ${immediateConfig} configures default, inline.`);
  });

  it("bad options and arguments, as commander reports them", async () => {
    expect(await refused(["run", "tasks.ts#add", "--priority", "high"])).toContain("Not a whole number.");
    expect(await refused(["run", "tasks.ts#add", "--timeout", "soon"])).toContain("Not a number of milliseconds");
    expect(await refused(["run", "tasks.ts#add", "--bogus"])).toContain("unknown option '--bogus'");
    expect(await refused(["run"])).toContain("missing required argument 'modulePath'");
    expect(await refused(["frobnicate"])).toContain("unknown command 'frobnicate'");
  });
});
