/**
 * Hostile work through the public API, on both pool backends (issue 9, items 2, 3 and 6): a
 * cancelled waiting task never runs, an import that never settles does not hang its lane, and the
 * look-ahead does not let a less urgent task jump the queue behind a long one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAll, configure, getBackend, InvalidTaskBackend, type PoolBackend, taskEvents } from "../../src/index.ts";
import { appendLine, blockMs, blockUntilFile, quick, spinMs } from "../fixtures/hostile/api-tasks.ts";
import { neverImported } from "../fixtures/hostile/hangs-in-worker.ts";
import { pause, within } from "../support/deadline.ts";

describe.each(["process-pool", "thread-pool"] as const)("%s under hostile work", (backendName) => {
  let dir: string;
  const unsubscribe: (() => void)[] = [];
  const use = (options: Record<string, unknown> = {}) =>
    configure({ default: { backend: backendName, options: { maxWorkers: 1, ...options } } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tasklane-hostile-"));
  });
  afterEach(async () => {
    for (const off of unsubscribe.splice(0)) off();
    await closeAll({ timeoutMs: 5000 });
    rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves when the task named `name` with first argument `first` starts. */
  const startOf = (name: string, first: unknown) =>
    new Promise<void>((resolve) => {
      unsubscribe.push(
        taskEvents.on("taskStarted", (r) => {
          if (r.task.name === name && r.args[0] === first) resolve();
        }),
      );
    });

  /** Quick tasks one at a time: the lane learns its tasks are short and hands tasks ahead. */
  async function warmUp(spin = false): Promise<void> {
    for (let i = 0; i < 30; i++)
      await (await (spin ? spinMs.enqueue(i % 2) : quick.enqueue())).wait({ timeoutMs: 20_000 });
  }

  it("cancel() of a task waiting in a busy worker's buffer resolves at once, and it never runs", async () => {
    use();
    await warmUp();
    const release = join(dir, "release");
    const file = join(dir, "side-effect");
    // Enqueued in one tick: the victim is handed ahead behind the blocker.
    const running = startOf("blockUntilFile", release);
    const [blocker, victim] = await Promise.all([blockUntilFile.enqueue(release), appendLine.enqueue(file, "victim")]);
    await within(running, 20_000, "the blocker runs");
    expect(await within(victim.cancel("not wanted"), 5_000, "cancel() resolves while the blocker runs")).toBe(true);
    expect(victim.status).toBe("FAILED");
    expect(victim.errors.at(-1)?.exceptionClassPath).toBe("TaskCancelled");
    await blocker.refresh();
    expect(blocker.status).toBe("RUNNING");
    // The worker is free again: what comes next runs, and the victim's side effect never happens.
    writeFileSync(release, "");
    await blocker.wait({ timeoutMs: 20_000 });
    expect((await (await appendLine.enqueue(file, "after")).wait({ timeoutMs: 20_000 })).status).toBe("SUCCESSFUL");
    expect(readFileSync(file, "utf8")).toBe("after\n");
    expect(victim.startedAt).toBeNull();
  });

  it("runs high, mid1, mid2, low after a 600 ms task, although the lane's tasks were quick", async () => {
    use();
    // Half a millisecond on average (0 and 1 ms by the clock): the lane hands two or three tasks
    // ahead of a running one, as in the run, so the four do not reach the worker as one batch.
    await warmUp(true);
    const started: string[] = [];
    unsubscribe.push(
      taskEvents.on("taskStarted", (r) => {
        if (r.task.name === "blockMs") started.push(r.args[1] as string);
      }),
    );
    const running = startOf("blockMs", 600);
    const long = await blockMs.enqueue(600, "long");
    await within(running, 20_000, "the long task starts");
    await pause(50);
    const results = [];
    for (const [label, priority] of [
      ["low", -10],
      ["mid1", 0],
      ["high", 50],
      ["mid2", 0],
    ] as const) {
      results.push(await blockMs.using({ priority }).enqueue(1, label));
      await pause(5);
    }
    await long.wait({ timeoutMs: 20_000 });
    await Promise.all(results.map((r) => r.wait({ timeoutMs: 20_000 })));
    expect(started).toEqual(["long", "high", "mid1", "mid2", "low"]);
  });

  it("fails a task whose module import never settles after importTimeoutMs, and the lane goes on", async () => {
    use({ importTimeoutMs: 300 });
    const hung = await neverImported.enqueue();
    // With a timeout of its own, its import (a fresh worker's, under tsx) is not held to the 300 ms:
    // on a loaded machine that alone can take longer.
    const next = await quick.using({ timeoutMs: 20_000 }).enqueue();
    await within(hung.wait({ timeoutMs: 20_000 }), 20_000, "the hung import fails");
    expect(hung.status).toBe("FAILED");
    expect(hung.errors.at(-1)?.exceptionClassPath).toBe("TaskTimeout");
    expect(hung.errors.at(-1)?.message).toContain("importTimeoutMs");
    expect((await next.wait({ timeoutMs: 20_000 })).status).toBe("SUCCESSFUL");
  });

  it("refuses an importTimeoutMs out of range, naming the option and the backend", () => {
    for (const bad of [0, -5, 1.5, 2 ** 31, "10"]) {
      use({ importTimeoutMs: bad });
      expect(() => getBackend()).toThrow(InvalidTaskBackend);
      expect(() => getBackend()).toThrow(/Option 'importTimeoutMs' of backend 'default' \(.*\) must be/);
    }
    use({ importTimeoutMs: null });
    expect((getBackend() as PoolBackend).importTimeoutMs).toBeNull();
    use();
    expect((getBackend() as PoolBackend).importTimeoutMs).toBe(30_000);
  });
});
