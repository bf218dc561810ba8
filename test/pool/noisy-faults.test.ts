/**
 * Faults whose worker process prints to stderr, on the process runtime: Node's report of an uncaught
 * exception, an unknown node flag. They run in a parent process of their own
 * (test/fixtures/pool/noisy-parent.ts) whose stderr, inherited by its workers, is piped here and
 * asserted, so the expected stack traces do not reach the test run's output looking like failures.
 * The thread runtime reports the same faults without printing; test/pool/failures.test.ts and
 * test/backends/pools.test.ts cover it in-process.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Outcome } from "../../src/outcome.ts";
import type { TaskError } from "../../src/task-error.ts";

const script = fileURLToPath(new URL("../fixtures/pool/noisy-parent.ts", import.meta.url));
const root = fileURLToPath(new URL("../..", import.meta.url));
const TASKS = new URL("../fixtures/pool/tasks.ts", import.meta.url).href;

interface Ran {
  code: number | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

function runParent(mode: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", script, mode],
      { cwd: root, timeout: 60_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const lines = stdout
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, lines, stderr });
      },
    );
  });
}

const errorOf = (outcome: unknown): TaskError => {
  const o = outcome as Outcome;
  if (o.ok) throw new Error("expected a failure");
  return o.error;
};

describe("faults that make a worker process print (process runtime)", () => {
  it("names an uncaught exception thrown from a timer, replaces the worker; Node's report goes to stderr", async () => {
    const run = await runParent("timer");
    expect(run.code, run.stderr).toBe(0);
    const [crash, after, done] = run.lines;
    const error = errorOf(crash!.outcome);
    expect(error.exceptionClassPath).toBe("WorkerCrashed");
    expect(error.message).toContain(`Worker process ${crash!.workerId} exited with code 1`);
    expect(error.message).toContain(`while running ${TASKS}#throwsFromTimer: uncaught Error: timer boom`);
    expect(after!.outcome).toEqual({ ok: true, value: 4 });
    expect(after!.workerId).not.toBe(crash!.workerId);
    expect(done).toMatchObject({ event: "done", starts: 2 });
    expect(run.stderr).toMatch(/Error: timer boom\n\s+at Timeout\._onTimeout/);
  });

  it("backs off and then fails the lane's jobs when workers cannot start; node's complaint goes to stderr", async () => {
    const run = await runParent("bad-flag");
    expect(run.code, run.stderr).toBe(0);
    const outcomes = run.lines.filter((line) => "outcome" in line);
    expect(outcomes).toHaveLength(2);
    for (const { outcome } of outcomes) {
      const error = errorOf(outcome);
      expect(error.exceptionClassPath).toBe("WorkerCrashed");
      expect(error.message).toContain("Could not start a worker for lane 'default': 5 start-ups in a row failed");
    }
    expect(run.lines.at(-1)).toMatchObject({ event: "done", starts: 0 });
    expect(run.stderr.match(/bad option: --tasklane-no-such-flag/g)).toHaveLength(5);
  });

  it("process-pool: fails the task whose worker dies of an uncaught exception, and keeps working", async () => {
    const run = await runParent("backend");
    expect(run.code, run.stderr).toBe(0);
    const [crashed, after] = run.lines as [
      { status: string; errors: TaskError[] },
      { status: string; returnValue: number },
    ];
    expect(crashed.status).toBe("FAILED");
    expect(crashed.errors[0]!.exceptionClassPath).toBe("WorkerCrashed");
    expect(crashed.errors[0]!.message).toContain("uncaught in worker");
    expect(after).toEqual({ status: "SUCCESSFUL", returnValue: 4 });
    expect(run.stderr).toContain("Error: uncaught in worker");
  });
});
