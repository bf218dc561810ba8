/**
 * Smoke test of the benchmark's database section: `tasklane bench --quick --backends database`
 * runs a real `tasklane worker` child on a SQLite file in a temp dir and prints every row of its
 * table and its two goals. Shape only: no timing is asserted.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchResults } from "../../src/bench/types.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tasklane-bench-db-test-"));
const jsonFile = join(dir, "bench.json");

function bench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = [join(root, "dist/cli/main.js"), "bench", "--quick", "--backends", "database", "--json", jsonFile];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("tasklane bench --quick --backends database", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the section through a tasklane worker child and prints its rows", { timeout: 120_000 }, async () => {
    const run = await bench();
    expect(run.code, run.stderr).toBe(0);
    const table = run.stdout.slice(run.stdout.indexOf("== database (SQLite)"));
    for (const row of [
      "no-op flood of 500, end to end (tasks/s)",
      "floor: store claim+settle loop, no task run (tasks/s)",
      "enqueue -> finished, one at a time: p50 (us)",
      "enqueue -> finished, one at a time: p99 (us)",
      "await enqueue(): p50 per call (us)",
      "worker --concurrency 1",
      "worker --concurrency 2",
      "CPU speedup, --concurrency 2 over 1",
    ]) {
      expect(table).toContain(row);
    }
    expect(run.stdout).toMatch(/(met|missed) +database \(SQLite\): no-op tasks end to end >= 5000\/s/);
    expect(run.stdout).toMatch(
      /(met|missed) +database \(SQLite\): CPU tasks, tasklane worker --concurrency 2 >= 1\.8x/,
    );
    expect(run.stdout).toContain("no child process left behind");

    const results = JSON.parse(readFileSync(jsonFile, "utf8")) as BenchResults;
    const db = results.database;
    expect(db?.skipped).toBeNull();
    const positive = (values: number[]) => values.length > 0 && values.every((v) => Number.isFinite(v) && v > 0);
    expect(positive(db?.perSecond ?? [])).toBe(true);
    expect(positive(db?.floorPerSecond ?? [])).toBe(true);
    expect(positive(db?.latency.flat() ?? [])).toBe(true);
    expect(positive(db?.enqueue.map((q) => q.p50Us) ?? [])).toBe(true);
    expect(db?.cpu?.rows.map((r) => r.workers)).toEqual([1, 2]);
    for (const row of db?.cpu?.rows ?? []) expect(positive(row.wallMs)).toBe(true);
    // Only the database goals were measurable; the pools' are n/a.
    expect(results.targets.filter((t) => t.met !== null).map((t) => t.name.slice(0, 17))).toEqual([
      "database (SQLite)",
      "database (SQLite)",
    ]);
  });
});
