/**
 * A value that cannot be serialised on its way to or from a worker fails the job it belongs to,
 * never a process: real `node` parent processes (whose survival is the point) for the way out,
 * and a real child with a small stack for the way back.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Harness } from "./harness.ts";

const script = fileURLToPath(new URL("../fixtures/hostile/parent-send.ts", import.meta.url));
const root = fileURLToPath(new URL("../..", import.meta.url));
const HOSTILE = new URL("../fixtures/hostile/data.ts", import.meta.url).href;

/** Runs the parent script to its end; the exit code and the JSON lines it printed. */
async function runParent(
  ...args: string[]
): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: root,
      timeout: 60_000,
    });
    return { code: 0, lines: parse(stdout), stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, lines: parse(failed.stdout ?? ""), stderr: failed.stderr ?? "" };
  }
}

function parse(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.each(["process-pool", "thread-pool"])("a parent using %s", (backendName) => {
  it("survives an argument nested 3,000 levels deep, refused at enqueue with its path", async () => {
    const { code, lines, stderr } = await runParent("backend", backendName, "3000");
    expect(stderr).not.toMatch(/RangeError/);
    expect(code).toBe(0);
    expect(lines).toEqual([
      {
        step: "deep",
        refused: "TypeError: args[0][0][0][0][0][0]…(989 more)…[0][0][0][0][0][0]: nested deeper than 1000 levels",
      },
      { step: "after", status: "SUCCESSFUL", value: "still here" },
      { step: "closed" },
    ]);
  });
});

describe.each(["process", "thread"])("a parent driving the %s engine directly", (runtime) => {
  it("survives a job whose arguments cannot be serialised: that job fails, the next one runs", async () => {
    const { code, lines } = await runParent("engine", runtime, "50000");
    expect(code).toBe(0);
    expect(lines).toEqual([
      {
        key: 1,
        ok: false,
        error: expect.stringMatching(
          /#echo: its arguments could not be sent to worker \S+ \(RangeError: Maximum call stack size exceeded\)$/,
        ),
        unrecoverable: true,
      },
      { key: 2, ok: true, value: "still here" },
      { step: "closed" },
    ]);
  });
});

describe("a child process whose stack is too small to write a result", () => {
  it("fails that job with the reason and keeps the worker", async () => {
    // 150 KB of stack: enough to run, not enough for JSON.stringify of 1,000 levels.
    const h = new Harness("process", { default: { maxWorkers: 1 } }, { execArgv: ["--stack-size=150"] });
    const deep = h.submit("returnsNested", [1000], { module: HOSTILE });
    const after = h.submit("where", [], { module: HOSTILE });
    const [deepStarted, afterStarted] = await Promise.all([deep.started, after.started]);
    expect((await deep.finished).outcome).toMatchObject({
      ok: false,
      error: {
        exceptionClassPath: "TypeError",
        message:
          "The task's return value could not be sent to the parent: RangeError: Maximum call stack size exceeded",
      },
    });
    expect((await after.finished).outcome.ok).toBe(true);
    expect(afterStarted.workerId).toBe(deepStarted.workerId);
    await h.close();
  });
});
