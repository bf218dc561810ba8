/**
 * The pools under hostile conditions around the application's own process: a terminal's Ctrl-C,
 * a flood of task output, a dead stdout pipe, a module that kills every worker importing it. The
 * parent is a real `node` process wherever its survival or its pipes are the point.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAll, configure } from "../../src/index.ts";
import { exitsOnImport } from "../fixtures/hostile/exits-in-worker.ts";
import { until } from "../support/gate.ts";

const script = fileURLToPath(new URL("../fixtures/hostile/parent.ts", import.meta.url));
const exitsModule = new URL("../fixtures/hostile/exits-in-worker.ts", import.meta.url).href;
const root = fileURLToPath(new URL("../..", import.meta.url));
const MiB = 1 << 20;

interface Line {
  event: string;
  [field: string]: unknown;
}

/**
 * Runs the parent script as the leader of its own process group (as a shell runs a foreground job),
 * collecting its `@ {json}` lines from stderr and counting what reaches its stdout.
 */
function runParent(args: string[], stdin: "ignore" | "pipe" = "ignore") {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    stdio: [stdin, "pipe", "pipe"],
    detached: true,
  });
  const lines: Line[] = [];
  let stderr = "";
  let rest = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk;
    rest += chunk;
    const parts = rest.split("\n");
    rest = parts.pop()!;
    for (const part of parts) if (part.startsWith("@ ")) lines.push(JSON.parse(part.slice(2)) as Line);
  });
  let stdoutBytes = 0;
  child.stdout!.on("data", (chunk: Buffer) => {
    stdoutBytes += chunk.length;
  });
  // "close": every holder of the pipes (the parent and its workers) has let go of them.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  const line = async (event: string): Promise<Line> => {
    await until(() => lines.some((l) => l.event === event), `the script printed '${event}'`, 30_000);
    return lines.find((l) => l.event === event)!;
  };
  return { child, closed, line, stdoutBytes: () => stdoutBytes, stderr: () => stderr };
}

describe.each(["process-pool", "thread-pool"] as const)("%s with a real parent process", (backend) => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tasklane-hostile-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets running tasks finish when Ctrl-C reaches the app's process group and its handler awaits closeAll()", async () => {
    const release = join(dir, "release");
    const parent = runParent([backend, "sigint", release]);
    await parent.line("started");
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    process.kill(-parent.child.pid!, "SIGINT");
    await parent.line("sigint");
    writeFileSync(release, "");
    const closed = await parent.line("closed");
    expect(closed).toEqual({ event: "closed", status: "SUCCESSFUL", errors: [] });
    expect((await parent.closed).code).toBe(0);
  });

  for (const variant of ["close", "retire"]) {
    it(`delivers all of a task's stdout before its worker exits (${variant})`, async () => {
      const mb = 100;
      const parent = runParent([backend, "flood", String(mb), variant]);
      const { code } = await parent.closed;
      expect(parent.stderr()).toContain('"status":"SUCCESSFUL"');
      if (variant === "retire") expect(await parent.line("retired")).toEqual({ event: "retired", workers: 0 });
      expect(code).toBe(0);
      expect(parent.stdoutBytes()).toBe(mb * MiB);
    });
  }

  it("fails later tasks of a module whose import killed a worker at once, with TaskModuleError", async () => {
    configure({ default: { backend, options: { maxWorkers: 1 } } });
    try {
      const result = await (await exitsOnImport.using({ maxAttempts: 3, backoff: 0 }).enqueue()).wait({
        timeoutMs: 20_000,
      });
      expect(result.status).toBe("FAILED");
      expect(result.errors.map((e) => e.exceptionClassPath)).toEqual([
        "WorkerCrashed",
        "TaskModuleError",
        "TaskModuleError",
      ]);
      expect(result.errors[0]!.message).toContain(`while importing ${exitsModule}#exitsOnImport`);
      const later = result.errors[1]!.message;
      expect(later).toContain(exitsModule);
      expect(later).toContain("'exitsOnImport'");
      expect(later).toMatch(/killed its worker .*exited with code 4/);
      // Only the first attempt reached a worker.
      expect(result.workerIds).toEqual([]);
    } finally {
      await closeAll({ timeoutMs: 5000 });
    }
  });
});

describe("process-pool with a dead stdout pipe", () => {
  it("keeps its workers when tasks log to a stdout whose reader has gone (EPIPE)", async () => {
    const parent = runParent(["process-pool", "epipe", "20"], "pipe");
    await parent.line("ready");
    // The reader of the app's stdout goes away (`app | head -1` after its line).
    parent.child.stdout!.destroy();
    parent.child.stdin!.end("go\n");
    const done = await parent.line("done");
    expect(done.statuses).toEqual(Array.from({ length: 20 }, () => "SUCCESSFUL"));
    // maxWorkers: 2. Each task that costs a fork would show as a worker id of its own.
    expect((done.workerIds as string[]).length).toBeLessThanOrEqual(2);
    expect((await parent.closed).code).toBe(0);
    const reports = parent.stderr().match(/\[TASKLANE_WORKER_STDIO\]/g) ?? [];
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.length).toBeLessThanOrEqual(2);
  });
});
