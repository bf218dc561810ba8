/**
 * The engine under tasks that leave things behind them: processes they started, promises nobody
 * handles, exceptions thrown after they returned, and modules that kill their worker on import.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setLogger } from "../../src/log.ts";
import { sleeperPids } from "../fixtures/hostile/process.ts";
import { errorOf, Gate, Harness, isAlive, type RuntimeKind, TASKS, waitUntil } from "./harness.ts";

const HOSTILE = new URL("../fixtures/hostile/process.ts", import.meta.url).href;
const EXITS = new URL("../fixtures/pool/exits-at-import.ts", import.meta.url).href;

/** Resolves with the first process warning of this code (tasklane's reports from its workers). */
function nextWarning(code: string): Promise<Error> {
  return new Promise((resolve) => {
    const listener = (warning: Error & { code?: string }) => {
      if (warning.code !== code) return;
      process.off("warning", listener);
      resolve(warning);
    };
    process.on("warning", listener);
  });
}

// Process groups only exist for child processes: a thread's children belong to the whole app.
describe("WorkerPool process trees (process only)", () => {
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.dispose();
  });

  /** Starts `spawnsSleeper` and returns its handle and the pids of the shell and its sleep. */
  async function startSleeper(h: Harness, then: "hang" | "return" | "exit", timeoutMs: number | null = null) {
    const pidFile = gate.path();
    const handle = h.submit("spawnsSleeper", [pidFile, then], { module: HOSTILE, timeoutMs });
    await waitUntil(() => sleeperPids(pidFile) !== null, "the task recorded its processes' pids", 20_000);
    const pids = sleeperPids(pidFile)!;
    expect(pids.every(isAlive)).toBe(true);
    return { handle, pids };
  }

  const gone = (pids: number[]) => waitUntil(() => pids.every((pid) => !isAlive(pid)), `${pids} are gone`, 5_000);

  it("kills the processes a cancelled task started along with its worker", async () => {
    const h = new Harness("process");
    const { handle, pids } = await startSleeper(h, "hang");
    expect(h.cancel(handle, "stop it", 0).cancelled).toBe(true);
    expect(errorOf((await handle.finished).outcome).exceptionClassPath).toBe("TaskCancelled");
    await gone(pids);
    await h.close();
  });

  it("kills the processes a timed-out task started along with its worker", async () => {
    const h = new Harness("process");
    const { handle, pids } = await startSleeper(h, "hang", 2_000);
    expect(errorOf((await handle.finished).outcome).exceptionClassPath).toBe("TaskTimeout");
    await gone(pids);
    await h.close();
  });

  it("kills the processes of a task still running at the close deadline", async () => {
    const h = new Harness("process");
    const { handle, pids } = await startSleeper(h, "hang");
    await h.close(100);
    expect(errorOf((await handle.finished).outcome).exceptionClassPath).toBe("BackendClosed");
    await gone(pids);
  });

  it("kills what a task left running once its worker is gone: after close(), or a crash", async () => {
    const h = new Harness("process");
    const left = await startSleeper(h, "return");
    expect((await left.handle.finished).outcome).toEqual({ ok: true, value: "left it running" });
    // The worker lives on, and so does what its task started.
    expect(left.pids.every(isAlive)).toBe(true);
    const crashed = await startSleeper(h, "exit");
    expect(errorOf((await crashed.handle.finished).outcome).exceptionClassPath).toBe("WorkerCrashed");
    await gone([...left.pids, ...crashed.pids]);
    const again = await startSleeper(h, "return");
    await again.handle.finished;
    await h.close();
    await gone(again.pids);
  });
});

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool faults left behind by a task (%s)", (runtime) => {
  let gate: Gate;
  let logged: string[];
  beforeEach(() => {
    gate = new Gate();
    logged = [];
    setLogger({ debug() {}, error: (message) => logged.push(message) });
  });
  afterEach(() => {
    setLogger(null);
    gate.dispose();
  });

  it("survives an unhandled rejection left by a finished task, names that task, and spares the next one", async () => {
    const h = new Harness(runtime);
    const fire = gate.path();
    const first = h.submit("leavesRejection", [fire], { module: HOSTILE });
    expect((await first.finished).outcome).toEqual({ ok: true, value: "returned" });
    const release = gate.path();
    const innocent = h.submit("waitForFile", [release]);
    await innocent.started;
    const warned = nextWarning("TASKLANE_UNHANDLED_REJECTION");
    gate.open(fire);
    const warning = await warned;
    gate.open(release);
    expect((await innocent.finished).outcome).toEqual({ ok: true, value: release });
    // The same worker: nothing was forked for the rejection.
    expect((await innocent.started).workerId).toBe((await first.started).workerId);
    const { workerId } = await first.started;
    expect(warning.message).toContain(`worker ${workerId}`);
    expect(warning.message).toContain("Error: late rejection");
    expect(warning.message).toContain(`from ${HOSTILE}#leavesRejection (result result-1), which had already finished`);
    expect(logged).toEqual([warning.message]);
    await h.close();
  });

  it("reports an unhandled rejection of the running task's own code, and lets it finish", async () => {
    const h = new Harness(runtime);
    const release = gate.path();
    const warned = nextWarning("TASKLANE_UNHANDLED_REJECTION");
    const running = h.submit("rejectsWhileRunning", [release], { module: HOSTILE });
    const warning = await warned;
    expect(warning.message).toContain("Error: own rejection");
    expect(warning.message).toContain(`from ${HOSTILE}#rejectsWhileRunning (result result-1)`);
    expect(warning.message).not.toContain("already finished");
    gate.open(release);
    expect((await running.finished).outcome).toEqual({ ok: true, value: "finished" });
    await h.close();
  });

  it("names the finished task whose leftover code threw when an uncaught exception ends the worker", async () => {
    const h = new Harness(runtime);
    const fire = gate.path();
    const first = h.submit("leavesThrow", [fire], { module: HOSTILE });
    expect((await first.finished).outcome).toEqual({ ok: true, value: "returned" });
    const innocent = h.submit("waitForFile", [gate.path()]);
    await innocent.started;
    gate.open(fire);
    const error = errorOf((await innocent.finished).outcome);
    expect(error.exceptionClassPath).toBe("WorkerCrashed");
    expect(error.message).toContain(`while running ${TASKS}#waitForFile: uncaught Error: late throw`);
    expect(error.message).toContain(`from ${HOSTILE}#leavesThrow (result result-1), which had already finished`);
    expect(await h.run("add", [1, 2])).toEqual({ ok: true, value: 3 });
    await h.close();
  });
});

describe.each(["process", "thread"] as RuntimeKind[])(
  "WorkerPool module that kills its worker on import (%s)",
  (runtime) => {
    it("costs one worker: later jobs of that module fail at once with TaskModuleError, others run", async () => {
      const h = new Harness(runtime);
      const doomed = [1, 2, 3, 4].map(() => h.submit("never", [], { module: EXITS }));
      const other = h.submit("add", [1, 2]);
      const outcomes = await Promise.all(doomed.map(async (x) => (await x.finished).outcome));
      const errors = outcomes.map(errorOf);
      expect(errors.map((e) => e.exceptionClassPath)).toEqual([
        "WorkerCrashed",
        "TaskModuleError",
        "TaskModuleError",
        "TaskModuleError",
      ]);
      expect(errors[0]!.message).toContain(`while importing ${EXITS}#never`);
      for (const error of errors.slice(1)) {
        expect(error.code).toBe("TASKLANE_MODULE_ERROR");
        expect(error.message).toContain(EXITS);
        expect(error.message).toContain("'never'");
        expect(error.message).toMatch(/killed its worker .*exited with code 4/);
      }
      expect((await other.finished).outcome).toEqual({ ok: true, value: 3 });
      const { workerId } = await other.started;
      // Later jobs of the module never reach a worker; the lane's worker stays.
      const late = errorOf(await h.run("never", [], { module: EXITS }));
      expect(late.exceptionClassPath).toBe("TaskModuleError");
      expect(await h.run("add", [2, 2])).toEqual({ ok: true, value: 4 });
      expect(h.pool.workerInfo().map((w) => w.workerId)).toEqual([workerId]);
      expect(h.events.filter((e) => e.type === "start").map((e) => (e.type === "start" ? e.workerId : ""))).toEqual([
        workerId,
        workerId,
      ]);
      await h.close();
    });
  },
);
