import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Example, expectNoLeftovers, poll, ROOT, startExample } from "./support.ts";

interface Status {
  id: string;
  status: string;
  attempts: number;
  workerId?: string;
  progress?: { current: number; total: number } | null;
  returnValue?: { userId: number; sent: boolean; checksum: number; attempt: number };
  error?: string;
}

const SERVER = join(ROOT, "examples/database/server.mjs");
const CONFIG = join(ROOT, "examples/database/tasklane.config.mjs");
const CLI = join(ROOT, "dist/cli/main.js");

// The server and the worker run as a user would start them, in separate processes that share
// nothing but the SQLite file: both start in a temporary directory, where the example's default
// url (sqlite:./tasklane.db) puts it.
describe("examples/database", () => {
  let dir = "";
  const started: Example[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tasklane-example-db-"));
  });
  afterEach(async () => {
    for (const p of started.splice(0)) {
      await p.stop("SIGKILL");
      await expectNoLeftovers(p.pid);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function startServer(): Promise<{ server: Example; url: string }> {
    const server = startExample([SERVER, "0"], 60_000, { cwd: dir });
    started.push(server);
    const [, url] = await server.output(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);
    return { server, url: url! };
  }

  function startWorker(workerId: string): Example {
    const worker = startExample(
      [CLI, "worker", "--config", CONFIG, "--queue-name", "*", "--concurrency", "1"].concat([
        "--interval",
        "0.1",
        "--no-startup-delay",
        "--worker-id",
        workerId,
      ]),
      60_000,
      { cwd: dir },
    );
    started.push(worker);
    return worker;
  }

  async function stop(p: Example, signal: NodeJS.Signals = "SIGTERM") {
    const exit = await p.stop(signal);
    await expectNoLeftovers(p.pid);
    started.splice(started.indexOf(p), 1);
    return exit;
  }

  async function enqueue(url: string, user: number): Promise<string> {
    const response = await fetch(`${url}/tasks?user=${user}`, { method: "POST" });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; status: string; statusUrl: string };
    expect(body.status).toBe("READY");
    expect(body.statusUrl).toBe(`/tasks/${body.id}`);
    expect(response.headers.get("location")).toBe(body.statusUrl);
    return body.id;
  }

  async function status(url: string, id: string): Promise<Status> {
    const response = await fetch(`${url}/tasks/${id}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Status;
  }

  const finished = (url: string, id: string) =>
    poll(
      async () => {
        const s = await status(url, id);
        return (s.status === "SUCCESSFUL" || s.status === "FAILED") && s;
      },
      `task ${id} finishes`,
      30_000,
    );

  it("answers at once with an id, a separate worker runs the task, and the result outlives both processes", async () => {
    let { server, url } = await startServer();
    const id = await enqueue(url, 42);
    expect(await status(url, id)).toMatchObject({ id, status: "READY", attempts: 0 });

    const worker = startWorker("example-worker-1");
    const done = await finished(url, id);
    expect(done).toMatchObject({
      status: "SUCCESSFUL",
      attempts: 1,
      workerId: "example-worker-1",
      progress: { current: 10, total: 10 },
      returnValue: { userId: 42, sent: true, attempt: 1 },
    });
    expect(existsSync(join(dir, "tasklane.db"))).toBe(true);

    // Both stop cleanly; the worker says it drains.
    expect(await stop(worker)).toEqual({ code: 0, signal: null });
    expect(worker.stderr()).toContain("shutting down gracefully");
    expect(await stop(server)).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toBe("");

    // A new server process (no worker running) still knows the id and its value.
    ({ server, url } = await startServer());
    expect(await status(url, id)).toEqual(done);
    const unknown = await fetch(`${url}/tasks/no-such-id`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "No result no-such-id" });
    expect(await stop(server, "SIGINT")).toEqual({ code: 0, signal: null });
  });

  it("keeps a task enqueued while no worker runs READY across a server restart; a worker started later runs it", async () => {
    let { server, url } = await startServer();
    const first = await enqueue(url, 7);
    expect(await stop(server)).toEqual({ code: 0, signal: null });

    ({ server, url } = await startServer());
    expect(await status(url, first)).toMatchObject({ id: first, status: "READY", attempts: 0 });
    expect((await status(url, first)).workerId).toBeUndefined();

    const worker1 = startWorker("example-worker-1");
    expect(await finished(url, first)).toMatchObject({
      status: "SUCCESSFUL",
      workerId: "example-worker-1",
      returnValue: { userId: 7, sent: true, attempt: 1 },
    });
    expect(await stop(worker1)).toEqual({ code: 0, signal: null });

    // The worker restarts too: what is enqueued meanwhile waits for the next one.
    const second = await enqueue(url, 8);
    expect(await status(url, second)).toMatchObject({ status: "READY" });
    const worker2 = startWorker("example-worker-2");
    expect(await finished(url, second)).toMatchObject({
      status: "SUCCESSFUL",
      workerId: "example-worker-2",
      returnValue: { userId: 8 },
    });
    expect((await status(url, first)).workerId).toBe("example-worker-1");
    expect(await stop(worker2)).toEqual({ code: 0, signal: null });
    expect(await stop(server)).toEqual({ code: 0, signal: null });
  });

  it("refuses a bad user and unknown routes with a message", async () => {
    const { server, url } = await startServer();
    for (const user of ["abc", "0", "2.5", ""]) {
      const bad = await fetch(`${url}/tasks?user=${user}`, { method: "POST" });
      expect(bad.status, user).toBe(400);
      expect(await bad.json()).toEqual({ error: "user must be a whole number >= 1" });
    }
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    expect(await stop(server)).toEqual({ code: 0, signal: null });
  });
});
