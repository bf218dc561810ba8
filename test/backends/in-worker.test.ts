/**
 * Enqueues that would run inside a pool worker (issue 12 item 1, issue 9 item 10), tested with real
 * `node` processes importing the built package, each under a deadline. Every Node process started
 * records itself (test/fixtures/in-worker/starts.mjs), so the tests count processes: a worker must
 * never fork workers of its own.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/in-worker/${name}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "tasklane-in-worker-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every Node process that started, as [pid, ppid]; the first is the script. */
  starts: [number, number][];
}

let runs = 0;

/** Runs a fixture script with `BACKEND=backend`; a hung script is killed by the deadline and fails the test. */
function runScript(name: string, backend: string): Promise<Run> {
  const startsFile = join(scratch, `starts-${++runs}.txt`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", fixture("starts.mjs"), fixture(name)],
      {
        env: { ...process.env, BACKEND: backend, TASKLANE_TEST_STARTS: startsFile, NODE_OPTIONS: "" },
        timeout: 25_000,
        killSignal: "SIGKILL",
      },
      (error, stdout, stderr) => {
        let lines = "";
        try {
          lines = readFileSync(startsFile, "utf8");
        } catch {}
        const starts = lines
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((line) => line.split(" ").map(Number) as [number, number]);
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr, starts });
      },
    );
  });
}

/** The last stdout line, as JSON. */
function lastJson(run: Run): unknown {
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`no JSON on stdout (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** The script plus only direct children of it, as many as given: no worker started a process. */
function expectProcesses(run: Run, children: number): void {
  const [script, ...others] = run.starts;
  expect(script, "the script recorded its start").toBeDefined();
  expect(others.map(([, ppid]) => ppid)).toEqual(Array.from({ length: children }, () => script![0]));
}

type ResultJson = {
  status: string;
  returnValue?: unknown;
  errors: { exceptionClassPath: string; message: string; code: string | null }[];
};

describe("the single-file script: a task defined, configured and enqueued with top-level await", () => {
  it("runs on the immediate backend and exits 0 (it used to exit 13 without a word)", async () => {
    const run = await runScript("script.mjs", "immediate");
    expect(run.code, run.stderr).toBe(0);
    const result = lastJson(run) as ResultJson;
    expect([result.status, result.returnValue]).toEqual(["SUCCESSFUL", 3]);
    expectProcesses(run, 0);
  });

  it("runs while something else keeps the event loop busy (the check stops waiting for its own module)", async () => {
    const run = await runScript("busy-script.mjs", "immediate");
    expect(run.code, run.stderr).toBe(0);
    expect((lastJson(run) as ResultJson).returnValue).toBe(3);
  });

  it("stores the task on the dummy backend", async () => {
    const run = await runScript("script.mjs", "dummy");
    expect(run.code, run.stderr).toBe(0);
    expect((lastJson(run) as ResultJson).status).toBe("READY");
  });

  for (const backend of ["process-pool", "thread-pool"]) {
    it(`${backend}: enqueues at once; the worker refuses the re-run top-level enqueue and says what to do`, async () => {
      const run = await runScript("script.mjs", backend);
      expect(run.code, run.stderr).toBe(0);
      const result = lastJson(run) as ResultJson;
      expect(result.status).toBe("FAILED");
      const error = result.errors.at(-1)!;
      expect(error.exceptionClassPath).toBe("TaskModuleError");
      expect(error.message).toContain("EnqueueInWorker");
      expect(error.message).toContain("import.meta.url === pathToFileURL(process.argv[1]).href");
      // One worker, started by the script; it imported the module, refused, and forked nothing.
      expectProcesses(run, backend === "process-pool" ? 1 : 0);
    });

    it(`${backend}: the guarded script runs the task and leaves its top-level code to the main process`, async () => {
      const run = await runScript("guarded.mjs", backend);
      expect(run.code, run.stderr).toBe(0);
      const result = lastJson(run) as ResultJson;
      expect([result.status, result.returnValue]).toEqual(["SUCCESSFUL", 3]);
      expectProcesses(run, backend === "process-pool" ? 1 : 0);
    });

    it(`${backend}: a task that enqueues another fails with EnqueueInWorker and forks nothing`, async () => {
      const run = await runScript("nested.mjs", backend);
      expect(run.code, run.stderr).toBe(0);
      const results = lastJson(run) as ResultJson[];
      expect(results.map((r) => r.status)).toEqual(["FAILED", "FAILED"]);
      for (const result of results) {
        const error = result.errors.at(-1)!;
        expect([error.exceptionClassPath, error.code]).toEqual(["EnqueueInWorker", "TASKLANE_ENQUEUE_IN_WORKER"]);
        expect(error.message).toMatch(/^.*#add was enqueued inside a running task \(result [\w-]+\) of a pool worker/);
        expect(error.message).toContain("add.call(");
      }
      expectProcesses(run, backend === "process-pool" ? 1 : 0);
    });
  }

  it("immediate: a task may enqueue another (it runs in the app's process)", async () => {
    const run = await runScript("nested.mjs", "immediate");
    expect(run.code, run.stderr).toBe(0);
    const results = lastJson(run) as ResultJson[];
    expect(results.map((r) => [r.status, r.returnValue])).toEqual([
      ["SUCCESSFUL", "SUCCESSFUL"],
      ["SUCCESSFUL", "SUCCESSFUL"],
    ]);
    expectProcesses(run, 0);
  });
});
