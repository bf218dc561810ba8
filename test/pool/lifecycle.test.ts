import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BackendClosed } from "../../src/errors.ts";
import { errorOf, Gate, Harness, isAlive, PLAIN, type RuntimeKind, waitUntil } from "./harness.ts";

const script = fileURLToPath(new URL("../fixtures/pool/parent-script.ts", import.meta.url));
const root = fileURLToPath(new URL("../..", import.meta.url));

interface Line {
  event: string;
  pids?: number[];
  ok?: boolean;
  workers?: number;
}

/** Runs the parent script and collects its JSON lines. */
function runParent(runtime: RuntimeKind, mode: string) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script, runtime, mode], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: Line[] = [];
  let buffered = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const part of parts) if (part.trim() !== "") lines.push(JSON.parse(part) as Line);
  });
  // "exit", not "close": the script's workers inherit its stdout and may hold it a little longer.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  const line = async (event: string): Promise<Line> => {
    await waitUntil(() => lines.some((l) => l.event === event), `the script printed '${event}'`, 20_000);
    return lines.find((l) => l.event === event)!;
  };
  return { child, lines, exited, line };
}

const allGone = (pids: number[]) => () => pids.every((pid) => !isAlive(pid));

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool lifecycle (%s)", (runtime) => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  it("imports a plain .mjs task module", async () => {
    const h = new Harness(runtime);
    expect(await h.run("double", [21], { module: PLAIN })).toEqual({ ok: true, value: 42 });
    await h.close();
  });

  it("keeps Node alive while jobs are pending and lets it exit once idle, without close()", async () => {
    const parent = runParent(runtime, "idle");
    const { code } = await parent.exited;
    expect(code).toBe(0);
    expect(parent.lines.filter((l) => l.event === "finished" && l.ok)).toHaveLength(4);
    const done = parent.lines.find((l) => l.event === "done");
    expect(done).toBeDefined();
    // Its children notice the closed channel and follow.
    await waitUntil(allGone(done?.pids ?? []), "the workers of the exited script are gone");
  });

  it("leaves no worker behind after close()", async () => {
    const parent = runParent(runtime, "close");
    const done = await parent.line("done");
    if (runtime === "process") expect(done.pids).toHaveLength(2);
    expect((await parent.line("closed")).workers).toBe(0);
    await waitUntil(allGone(done.pids ?? []), "the workers are gone after close()");
    expect((await parent.exited).code).toBe(0);
  });

  it("lets queued and running jobs finish on close(), then refuses new ones", async () => {
    const h = new Harness(runtime);
    const handles = [h.submit("sleepMs", [30]), h.submit("add", [1, 2]), h.submit("sleepMs", [10])];
    const closing = h.close();
    expect(() => h.submit("add", [1, 1])).toThrow(BackendClosed);
    await closing;
    const outcomes = (await Promise.all(handles.map((x) => x.finished))).map((f) => f.outcome);
    expect(outcomes).toEqual([
      { ok: true, value: 30 },
      { ok: true, value: 3 },
      { ok: true, value: 10 },
    ]);
  });

  it("fails what is left at the close timeout with BackendClosed and ends the workers", async () => {
    const h = new Harness(runtime);
    const running = h.submit("waitForFile", [gate.path()]);
    const { workerId } = await running.started;
    const queued = h.submit("add", [1, 2]);
    const delayed = h.submit("add", [3, 4], { runAfter: Date.now() + 3_600_000 });
    await h.close(200);
    for (const handle of [running, queued, delayed]) {
      const error = errorOf((await handle.finished).outcome);
      expect(error.exceptionClassPath).toBe("BackendClosed");
      expect(error.message).toBe("The worker pool was closed before the task finished (timeout 200 ms)");
    }
    if (runtime === "process") expect(isAlive(Number(workerId))).toBe(false);
  });
});

// Orphaned workers only exist for child processes: threads end with their process anyway.
describe("WorkerPool lifecycle (process only)", () => {
  it("lets a child that gets SIGTERM finish and report its job, then exit; its buffered jobs run elsewhere", async () => {
    const h = new Harness("process");
    await Promise.all(Array.from({ length: 50 }, () => h.submit("noop").finished));
    // The job ends when its own SIGTERM listener fires, so the signal surely arrived while it ran.
    const running = h.submit("awaitSigterm", [], { priority: 10 });
    const buffered = Array.from({ length: 5 }, (_, i) => h.submit("add", [i, 10]));
    const { workerId } = await running.started;
    process.kill(Number(workerId), "SIGTERM");
    expect((await running.finished).outcome).toEqual({ ok: true, value: "finished after SIGTERM" });
    await waitUntil(() => !isAlive(Number(workerId)), "the child exited");
    const results = await Promise.all(buffered.map((x) => x.finished));
    expect(results.map((r) => r.outcome)).toEqual(buffered.map((_, i) => ({ ok: true, value: i + 10 })));
    // It started nothing after the signal.
    for (const x of buffered) expect((await x.started).workerId).not.toBe(workerId);
    expect(h.pool.workerInfo().map((w) => w.workerId)).not.toContain(workerId);
    await h.close();
  });

  it("takes its children down when the parent is SIGKILLed", async () => {
    const parent = runParent("process", "hold");
    await waitUntil(() => parent.lines.filter((l) => l.event === "started").length === 2, "both jobs started", 20_000);
    const pids = parent.lines.filter((l) => l.event === "started").at(-1)?.pids ?? [];
    expect(pids).toHaveLength(2);
    expect(pids.every(isAlive)).toBe(true);
    parent.child.kill("SIGKILL");
    await parent.exited;
    await waitUntil(allGone(pids), "the orphaned workers are gone");
  });
});
