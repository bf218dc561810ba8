/**
 * The pool backends' `minWorkers` forks when the backend is created, and `ready()` resolves once
 * those workers are up: a server that awaits it at boot runs its first task on a warm worker.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ProcessPoolBackend } from "../../src/backends/process-pool.ts";
import { BackendClosed, closeAll, configure, getBackend } from "../../src/index.ts";
import { where } from "../fixtures/hostile/data.ts";

afterEach(async () => {
  await closeAll({ timeoutMs: 5000 });
});

describe.each(["process-pool", "thread-pool"] as const)("minWorkers and ready() on %s", (backend) => {
  it("starts the workers with the backend, and the first task runs on one of them", async () => {
    configure({ default: { backend, options: { maxWorkers: 2, minWorkers: 2 } } });
    const pool = getBackend() as ProcessPoolBackend;
    // Forked as the backend was created, before anything was enqueued.
    expect(pool.workerInfo()).toHaveLength(2);
    await pool.ready();
    const warm = pool.workerInfo().map((w) => w.workerId);
    const result = await (await where.enqueue()).wait({ timeoutMs: 20_000 });
    expect(warm).toContain(result.workerIds[0]);
    expect(
      pool
        .workerInfo()
        .map((w) => w.workerId)
        .sort(),
    ).toEqual([...warm].sort());
  });

  it("resolves ready() at once without minWorkers, and rejects it once closed", async () => {
    configure({ default: { backend } });
    const pool = getBackend();
    await pool.ready();
    expect((pool as ProcessPoolBackend).workerInfo()).toEqual([]);
    await pool.close();
    await expect(pool.ready()).rejects.toThrow(BackendClosed);
    await expect(pool.ready()).rejects.toThrow("Backend 'default' is closed.");
  });
});

it("the other backends are ready at once", async () => {
  configure({ default: { backend: "immediate" }, other: { backend: "dummy" } });
  await getBackend().ready();
  await getBackend("other").ready();
});
