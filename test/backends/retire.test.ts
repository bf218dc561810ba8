/**
 * configure() called again and again without closeAll(): each call retires the backends of the
 * configuration before, and a retired backend's idle workers must end promptly even while it still
 * holds work (here: a deferred task), instead of living until that work is done. Counted as live
 * child processes, with a deadline.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, configure, type TaskResult } from "../../src/index.ts";
import { noop, where } from "../fixtures/hostile/data.ts";
import { isAlive, until } from "../support/gate.ts";

const deferred: TaskResult[] = [];

afterEach(async () => {
  // The retired backends wait for their deferred tasks; cancelled, those finish at once.
  await Promise.all(deferred.splice(0).map((r) => r.cancel()));
  await closeAll({ timeoutMs: 5000 });
});

async function useFreshPool(): Promise<number> {
  configure({ default: { backend: "process-pool", options: { maxWorkers: 1 } } });
  const result = await (await where.enqueue()).wait({ timeoutMs: 20_000 });
  return (result.returnValue as { pid: number }).pid;
}

describe("configure() without closeAll()", () => {
  it("does not keep the workers of every retired backend alive at once", async () => {
    const pids: number[] = [];
    for (let i = 0; i < 6; i++) {
      pids.push(await useFreshPool());
      // Work the backend still holds when the next configure() retires it: due in 9 s, well
      // within its close timeout (10 s), so the retired backend keeps waiting for it.
      deferred.push(await noop.using({ runAfter: new Date(Date.now() + 9000) }).enqueue());
    }
    configure({ default: { backend: "dummy" } });
    expect(new Set(pids).size).toBe(6);
    await until(() => pids.every((pid) => !isAlive(pid)), "every retired backend's idle worker exited", 5000);
  }, 120_000);

  it("still runs the work a retired backend holds, on a worker forked for it", async () => {
    const pid = await useFreshPool();
    const later = await noop.using({ runAfter: new Date(Date.now() + 300) }).enqueue();
    configure({ default: { backend: "dummy" } });
    await until(() => !isAlive(pid), "the retired backend's idle worker exited", 5000);
    await later.wait({ timeoutMs: 20_000 });
    expect(later.status).toBe("SUCCESSFUL");
    expect(later.workerIds).toHaveLength(1);
    expect(later.workerIds[0]).not.toBe(String(pid));
  }, 60_000);
});
