/**
 * CI smoke test of `tasklane bench`: one `--quick` run over every backend, checked for shape only
 * (every section, every contender, a well-formed chart, no child left behind). No timing is
 * asserted: the numbers of a quick run on a busy CI machine mean nothing.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BACKENDS, type BenchResults } from "../../src/bench/types.ts";
import { checkWellFormed } from "./svg-check.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const mainJs = join(root, "dist/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "tasklane-bench-"));
const jsonFile = join(dir, "bench.json");
const svgFile = join(dir, "bench.svg");
// Every process the run starts inherits this, so a leftover one can be found by its environment.
const marker = `tasklane-bench-smoke-${randomUUID()}`;
// The contenders of the shared sections; `database` has a table of its own (bench-database.test.ts).
const POOLS = BACKENDS.filter((b) => b !== "database");

/** Pids of live processes whose environment holds `marker`. */
function processesWithMarker(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(marker)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(entry: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, "bench", "--quick", "--json", jsonFile, "--svg", svgFile], {
      cwd: root,
      env: { ...process.env, TASKLANE_BENCH_SMOKE: marker },
      stdio: ["ignore", "pipe", "pipe"],
    });
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

describe("tasklane bench --quick", () => {
  let run: Run;
  let results: BenchResults;

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits 0 and prints every section", { timeout: 180_000 }, async () => {
    run = await runBench(mainJs);
    expect(run.code, run.stderr).toBe(0);
    for (const title of [
      "summary",
      "throughput",
      "latency",
      "CPU-bound scaling",
      "enqueue cost",
      "payload cost",
      "memory",
      "database (SQLite)",
      "goals",
    ]) {
      expect(run.stdout).toContain(`== ${title}`);
    }
    expect(run.stdout).toContain("no child process left behind");
  });

  it("leaves no child process behind", () => {
    expect(run, "the run itself failed").toBeDefined();
    expect(processesWithMarker()).toEqual([]);
  });

  it("writes JSON with every section for every backend", () => {
    results = JSON.parse(readFileSync(jsonFile, "utf8")) as BenchResults;
    expect(results.options.quick).toBe(true);
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(typeof results.machine.cpuModel).toBe("string");
    expect(results.node).toBe(process.version);
    expect(results.tasklaneVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(results.leftoverChildren).toEqual([]);
    const workers = results.options.workers;
    const expectRows = (rows: { backend: string; workers: number | null }[], section: string) => {
      for (const backend of POOLS) {
        const found = rows.filter((r) => r.backend === backend);
        const expected = backend === "immediate" ? 1 : workers.length;
        expect(found.length, `${section}: rows of ${backend}`).toBe(expected);
      }
    };
    expectRows(results.enqueue, "enqueue");
    expectRows(results.throughput, "throughput");
    expectRows(results.latency, "latency");
    expectRows(results.payload, "payload");
    expect(results.cpu).not.toBeNull();
    for (const backend of POOLS) {
      expect(
        results.cpu?.rows.some((r) => r.backend === backend),
        `cpu row of ${backend}`,
      ).toBe(true);
      expect(
        results.memory.some((r) => r.backend === backend),
        `memory row of ${backend}`,
      ).toBe(true);
    }
    expect(results.latency.map((r) => r.backend)).toEqual(expect.arrayContaining(["raw-process", "raw-thread"]));
    // Samples are real measurements: positive and finite.
    const positive = (values: number[]) => values.length > 0 && values.every((v) => Number.isFinite(v) && v > 0);
    for (const row of results.throughput) expect(positive(row.perSecond)).toBe(true);
    for (const row of results.enqueue) expect(positive(row.benchmarkUs)).toBe(true);
    for (const row of results.latency) expect(positive(row.runs.flat())).toBe(true);
    for (const row of results.cpu?.rows ?? []) expect(positive([...row.wallMs, ...row.inlineMs])).toBe(true);
    for (const row of results.payload) {
      expect(positive([...row.smallPerSecond, ...row.largePerSecond, ...row.returnPerSecond])).toBe(true);
    }
    const processPool = results.memory.find((r) => r.backend === "process-pool");
    expect(processPool?.runs).toHaveLength(1);
    // Child RSS comes from /proc (Linux).
    expect(processPool?.childRssIdle.length).toBe(Math.max(...workers));
    expect(results.database?.skipped).toBeNull();
    expect(results.targets).toHaveLength(19);
    for (const target of results.targets) expect(target.met).not.toBeNull();
  });

  it("writes a well-formed SVG with every series", () => {
    const svg = readFileSync(svgFile, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(() => checkWellFormed(svg)).not.toThrow();
    for (const label of [...POOLS, "ideal"]) expect(svg).toContain(`>${label}</text>`);
  });
});
