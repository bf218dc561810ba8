/**
 * The hot statements walk their indexes: the claim reads READY rows in claim order from the
 * partial index (no sort, no scan of finished rows), the reaper and prune use theirs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { loadSqliteDriver } from "../../../src/db/sqlite/driver.ts";
import { openSqliteFile } from "../../../src/db/sqlite/open.ts";
import { pruneBatch, SQL } from "../../../src/db/sqlite/sql.ts";

const dir = mkdtempSync(join(tmpdir(), "tasklane-plans-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = openSqliteFile(loadSqliteDriver(), join(dir, "plans.db"), { busyTimeoutMs: 5000, synchronous: "normal" });
afterAll(() => db.close());

function plan(sql: string, params: Record<string, unknown>): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
  return rows.map((r) => r.detail).join("\n");
}

const queues = { all: 1, queues: "[]", exclude: "[]" };

it("claims through the READY index in claim order", () => {
  const detail = plan(SQL.claim, { ...queues, worker: "w", leaseMs: 1, limit: 5 });
  expect(detail).toContain("USING INDEX tasklane_tasks_ready");
  expect(detail).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
  expect(detail).not.toMatch(/SCAN tasklane_tasks(?! USING)/);
});

it("finds expired leases through the lease index", () => {
  expect(plan(SQL.expired, { limit: 5 })).toContain("USING INDEX tasklane_tasks_leases");
});

it("prunes through the finished index", () => {
  const detail = plan(pruneBatch, { ...queues, minAgeMs: 0, failedMinAgeMs: 0, batch: 10 });
  expect(detail).toContain("tasklane_tasks_finished");
  expect(detail).not.toMatch(/SCAN tasklane_tasks(?! USING)/);
});

it("finds the rows changed since a watermark, and the latest change, through the change index", () => {
  expect(plan(SQL.latestChange, {})).toContain("tasklane_tasks_changed");
  const detail = plan(SQL.changedSince, { since: 0, limit: 5 });
  expect(detail).toContain("USING INDEX tasklane_tasks_changed");
  expect(detail).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
});

it("reads finished rows for the chart through the finished index", () => {
  for (const sql of [SQL.finishedPerMinute, SQL.finishedTimings]) {
    const detail = plan(sql, { since: 0, limit: 5 });
    expect(detail).toContain("tasklane_tasks_finished");
    expect(detail).not.toMatch(/SCAN tasklane_tasks(?! USING)/);
  }
});
