/**
 * Where the parent's own fate is the point (issue 9, items 4 and 5), in a real `node` parent:
 * garbage on the pool's channel costs only the worker that wrote it, and a child busy in a
 * synchronous job does not outlive its parent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive, type RuntimeKind, waitUntil } from "./harness.ts";

const script = fileURLToPath(new URL("../fixtures/hostile/pool-parent.ts", import.meta.url));
const root = fileURLToPath(new URL("../..", import.meta.url));

interface Line {
  event: string;
  key?: number;
  workerId?: string;
  pids?: number[];
  ok?: boolean;
  value?: unknown;
  error?: { class: string; message: string } | null;
}

const spawned: ChildProcess[] = [];
const leftovers: number[] = [];

function runParent(...args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawned.push(child);
  const lines: Line[] = [];
  let stderr = "";
  let buffered = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const part of parts) if (part.trim() !== "") lines.push(JSON.parse(part) as Line);
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  const line = async (event: string): Promise<Line> => {
    await waitUntil(() => lines.some((l) => l.event === event), `the parent printed '${event}'`, 30_000);
    return lines.find((l) => l.event === event)!;
  };
  return { child, lines, exited, line, stderr: () => stderr };
}

afterEach(() => {
  for (const child of spawned.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
});

const KINDS = ["not-json", "not-frames", "half-line"];

describe.each(["process", "thread"] as RuntimeKind[])("a malformed frame from a task (%s)", (runtime) => {
  it(`kills and replaces only the worker that sent it (${KINDS.join(", ")}); the parent survives`, async () => {
    const parent = runParent(runtime, "garbage", ...KINDS);
    const { code, signal } = await parent.exited;
    expect({ code, signal, stderr: parent.stderr() }).toMatchObject({ code: 0, signal: null });
    expect(parent.lines.at(-1)?.event).toBe("survived");
    const finished = new Map(parent.lines.filter((l) => l.event === "finished").map((l) => [l.key, l]));
    const ranOn = new Map(parent.lines.filter((l) => l.event === "started").map((l) => [l.key, l.workerId]));
    expect(finished.size).toBe(KINDS.length * 2);
    for (const [i, kind] of KINDS.entries()) {
      const garbage = finished.get(2 * i + 1)!;
      const next = finished.get(2 * i + 2)!;
      expect({ kind, ok: garbage.ok, class: garbage.error?.class }).toEqual({
        kind,
        ok: false,
        class: "WorkerCrashed",
      });
      expect(garbage.error?.message).toMatch(/malformed frame/);
      // The job after it ran, on a fresh worker.
      expect(next.value).toBe(i + 1);
      expect(ranOn.get(2 * i + 2)).not.toBe(ranOn.get(2 * i + 1));
    }
  }, 90_000);
});

describe("the channel is off fd 3 (process)", () => {
  it("lets a task write to fd 3 without reaching the pool's protocol", async () => {
    const parent = runParent("process", "garbage", "fd3");
    const { code } = await parent.exited;
    expect({ code, stderr: parent.stderr() }).toMatchObject({ code: 0 });
    const finished = parent.lines.filter((l) => l.event === "finished");
    expect(finished.map((l) => l.ok)).toEqual([true, true]);
    const starts = parent.lines.filter((l) => l.event === "started");
    expect(new Set(starts.map((l) => l.workerId)).size).toBe(1);
  }, 90_000);
});

describe("a busy child whose parent dies (process)", () => {
  it.each(["SIGKILL", "SIGTERM", "SIGINT"] as const)(
    "is gone within seconds of a %s to the parent",
    async (sig) => {
      const parent = runParent("process", "busy");
      const started = await parent.line("started");
      const pids = started.pids ?? [];
      expect(pids).toHaveLength(1);
      leftovers.push(...pids);
      parent.child.kill(sig);
      await parent.exited;
      // The child's job spins for 30 s; it must notice the dead parent long before.
      await waitUntil(() => pids.every((pid) => !isAlive(pid)), `child ${pids} is gone after ${sig}`, 5_000);
    },
    90_000,
  );
});
