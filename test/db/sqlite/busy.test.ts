/**
 * Another process holding the write lock: the store waits (SQLite's short blocking wait, then
 * asynchronous retries) and succeeds once the lock is free, or fails with TaskStoreError after
 * busyTimeoutMs. The "other process" is a second connection on the same file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openStore } from "../../../src/db/open-store.ts";
import { loadSqliteDriver } from "../../../src/db/sqlite/driver.ts";
import { newRow } from "../support/rows.ts";

const Driver = loadSqliteDriver();
const dir = mkdtempSync(join(tmpdir(), "tasklane-busy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("waits past SQLite's blocking wait for a lock held longer, then writes", async () => {
  const path = join(dir, "wait.db");
  const store = await openStore(`sqlite:${path}`, { busyTimeoutMs: 60_000 });
  await store.migrate();
  const holder = new Driver(path);
  const reader = new Driver(path, { readonly: true });
  holder.exec("BEGIN IMMEDIATE");
  const row = newRow();
  // The first try runs (and fails, after SQLite's blocking wait) before enqueue returns its promise.
  const enqueued = store.enqueue(row);
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(reader.prepare("SELECT count(*) AS n FROM tasklane_tasks").get()).toEqual({ n: 0 });
  holder.exec("COMMIT");
  expect((await enqueued).id).toBe(row.id);
  expect(reader.prepare("SELECT count(*) AS n FROM tasklane_tasks").get()).toEqual({ n: 1 });
  holder.close();
  reader.close();
  await store.close();
});

it("fails with TaskStoreError naming the file once busyTimeoutMs is spent", async () => {
  const path = join(dir, "fail.db");
  const store = await openStore(`sqlite:${path}`, { busyTimeoutMs: 300 });
  await store.migrate();
  const holder = new Driver(path);
  holder.exec("BEGIN IMMEDIATE");
  try {
    const error = await store.claim({ workerId: "w", queues: "*", excludeQueues: [], limit: 1, leaseMs: 1000 }).then(
      () => null,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe("TASKLANE_DATABASE");
    expect(error?.message).toBe(`${path}: claim: database is locked (SQLITE_BUSY)`);
  } finally {
    holder.exec("ROLLBACK");
    holder.close();
  }
  expect(await store.claim({ workerId: "w", queues: "*", excludeQueues: [], limit: 1, leaseMs: 1000 })).toEqual([]);
  await store.close();
});
