/**
 * `minWorkers` starts workers when the pool is created, and `ready()` says when they are up
 * (issue 11, "warm from the start"): a server that configures a pool at boot does not fork on its
 * first requests.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { BackendClosed, WorkerCrashed } from "../../src/errors.ts";
import { itWhere } from "../support/where.ts";
import { Harness, isAlive, type RuntimeKind, waitUntil } from "./harness.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const script = fileURLToPath(new URL("../fixtures/pool/parent-script.ts", import.meta.url));

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool minWorkers and ready() (%s)", (runtime) => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it("starts minWorkers per lane before any job, and the first job runs on one of them", async () => {
    h = new Harness(
      runtime,
      { default: { maxWorkers: 3 }, reports: { maxWorkers: 1 } },
      { recycle: { minWorkers: 2 } },
    );
    await h.pool.ready();
    const info = h.pool.workerInfo();
    // A lane keeps at most its maxWorkers.
    expect(info.map((w) => w.lane).sort()).toEqual(["default", "default", "reports"]);
    expect(info.every((w) => !w.busy && w.tasksDone === 0)).toBe(true);
    const first = h.submit("add", [1, 2]);
    expect((await first.finished).outcome).toEqual({ ok: true, value: 3 });
    expect(info.map((w) => w.workerId)).toContain((await first.started).workerId);
    expect(h.pool.workerInfo()).toHaveLength(3);
  });

  it("resolves ready() at once without minWorkers, forking nothing", async () => {
    h = new Harness(runtime);
    await h.pool.ready();
    expect(h.pool.workerInfo()).toEqual([]);
  });

  itWhere(runtime === "process")("replaces a warm worker that dies while nothing waits", async () => {
    h = new Harness(runtime, { default: { maxWorkers: 2 } }, { recycle: { minWorkers: 2 } });
    await h.pool.ready();
    const [victim] = h.pool.workerInfo();
    process.kill(victim!.pid!, "SIGKILL");
    const others = () => h!.pool.workerInfo().filter((w) => w.workerId !== victim!.workerId);
    await waitUntil(() => others().length === 2, "a replacement for the killed worker");
    await h.pool.ready();
    expect(h.events).toEqual([]);
  });

  // A worker thread ignores a preload in its execArgv; a child process dies of it before READY.
  itWhere(runtime === "process")(
    "rejects ready() with WorkerCrashed when the workers cannot start",
    async () => {
      h = new Harness(
        runtime,
        { default: { maxWorkers: 1 } },
        { recycle: { minWorkers: 1 }, execArgv: ["--import", "/nonexistent/tasklane/preload.mjs"] },
      );
      const error = await h.pool.ready().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkerCrashed);
      expect((error as Error).message).toMatch(
        /Could not start a worker for lane 'default': 5 start-ups in a row failed/,
      );
      // It gave up: nothing more is forked on its own.
      expect(h.pool.workerInfo()).toEqual([]);
    },
    30_000,
  );

  it("rejects ready() with BackendClosed when the pool closes first, and forks nothing more", async () => {
    h = new Harness(runtime, { default: { maxWorkers: 2 } }, { recycle: { minWorkers: 2 } });
    const ready = h.pool.ready().catch((e: unknown) => e);
    const pids = h.pool.workerInfo().flatMap((w) => (w.pid === null ? [] : [w.pid]));
    await h.close();
    h = null;
    const error = await ready;
    // The workers may have said READY before close() began: then it resolved.
    if (error !== undefined) expect(error).toBeInstanceOf(BackendClosed);
    if (runtime === "process") await waitUntil(() => pids.every((pid) => !isAlive(pid)), "the warm workers are gone");
  });

  it("keeps Node alive while ready() is awaited, and lets it exit with the warm workers idle", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", script, runtime, "warm"], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    const ready = JSON.parse(out.trim().split("\n").at(-1)!) as { event: string; workers: number; pids: number[] };
    expect(ready).toMatchObject({ event: "ready", workers: 2 });
    await waitUntil(() => ready.pids.every((pid) => !isAlive(pid)), "the warm workers follow their parent");
  });
});
