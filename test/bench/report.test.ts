/**
 * The benchmark's pure parts: statistics, option parsing, and the report and chart built from a
 * hand-made result (a partial run, so missing contenders must read "n/a", never crash or "MET").
 */
import { describe, expect, it } from "vitest";
import { BenchOptionError, parseBackends, parseWorkerList, resolveOptions } from "../../src/bench/options.ts";
import { renderReport } from "../../src/bench/report/render.ts";
import { renderSvg } from "../../src/bench/report/svg.ts";
import { quantile, summarize } from "../../src/bench/stats.ts";
import { evaluateTargets } from "../../src/bench/targets.ts";
import type { BenchResults } from "../../src/bench/types.ts";
import { checkWellFormed } from "./svg-check.ts";

describe("stats", () => {
  it("interpolates quantiles and summarises", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.99)).toBeCloseTo(4.96);
    expect(quantile([], 0.5)).toBeNaN();
    expect(summarize([3, 1, 2])).toMatchObject({ n: 3, median: 2, min: 1, max: 3 });
  });
});

describe("options", () => {
  it("parses backends in canonical order and refuses unknown ones", () => {
    expect(parseBackends("piscina, process-pool,piscina")).toEqual(["process-pool", "piscina"]);
    expect(() => parseBackends("process-pool,bullmq")).toThrow(BenchOptionError);
    expect(() => parseBackends("process-pool,bullmq")).toThrow(/unknown backend 'bullmq'/);
  });

  it("parses worker lists", () => {
    expect(parseWorkerList("4,1,2,2")).toEqual([1, 2, 4]);
    expect(() => parseWorkerList("1,0")).toThrow(/whole number >= 1/);
    expect(() => parseWorkerList("1,x")).toThrow(BenchOptionError);
  });

  it("shrinks everything with --quick, and explicit options win", () => {
    const quick = resolveOptions({ quick: true, tasks: 123 });
    const full = resolveOptions({});
    expect(quick.tasks).toBe(123);
    expect(quick.repeat).toBeLessThan(full.repeat);
    expect(quick.memoryTasks).toBeLessThan(full.memoryTasks);
    expect(full.memoryTasks).toBe(1_000_000);
    expect(full.cpuTasks).toBe(200);
    expect(full.workers).toContain(2);
  });
});

/** A small, plausible result of `--backends process-pool,piscina --workers 2`. */
function partialResults(): BenchResults {
  const options = {
    ...resolveOptions({ quick: true }),
    backends: ["process-pool", "piscina"],
    workers: [2],
    cpuWorkers: [1, 2],
  };
  const results: BenchResults = {
    schema: 2,
    tasklaneVersion: "0.0.0",
    node: process.version,
    v8: process.versions.v8,
    date: "2026-01-01T00:00:00.000Z",
    durationSeconds: 1,
    machine: {
      cpuModel: "Test <CPU> & co",
      cores: 2,
      availableParallelism: 2,
      memoryBytes: 2 ** 30,
      os: { type: "Linux", platform: "linux", release: "6", arch: "x64" },
      loadavg: [0, 0, 0],
    },
    options: options as BenchResults["options"],
    enqueue: [
      {
        backend: "process-pool",
        workers: 2,
        benchmarkUs: [1.5, 1.6],
        benchmarkRme: 2,
        benchmarkDelay: 0.01,
        perCall: [],
      },
    ],
    throughput: [
      { backend: "process-pool", workers: 2, tasks: 1000, perSecond: [50_000, 60_000] },
      { backend: "piscina", workers: 2, tasks: 1000, perSecond: [20_000, 22_000] },
    ],
    latency: [
      { backend: "raw-process", workers: 1, runs: [[30, 31, 32]] },
      {
        backend: "process-pool",
        workers: 2,
        runs: [[50, 52, 54]],
        floor: { backend: "raw-process", runs: [[30, 31, 32]] },
      },
    ],
    cpu: {
      fibN: 27,
      taskMs: 7,
      tasks: 6,
      inlineMs: [42],
      rows: [
        { backend: "process-pool", workers: 1, wallMs: [44], inlineMs: [42] },
        { backend: "process-pool", workers: 2, wallMs: [23], inlineMs: [42] },
      ],
    },
    payload: [
      {
        backend: "process-pool",
        workers: 2,
        tasks: 10,
        bytes: 100_000,
        smallPerSecond: [9000],
        largePerSecond: [1800, 2000],
        returnPerSecond: [1500],
      },
      {
        backend: "piscina",
        workers: 2,
        tasks: 10,
        bytes: 100_000,
        smallPerSecond: [9000],
        largePerSecond: [1600],
        returnPerSecond: [1000],
      },
    ],
    memory: [
      {
        backend: "process-pool",
        workers: 2,
        tasks: 5000,
        runs: [{ heapBefore: 10e6, heapAfter: 10.5e6, rssBefore: 80e6, rssAfter: 81e6, seconds: 0.1 }],
        childRssIdle: [50e6, 51e6],
        childRssAfter: [52e6, 53e6],
      },
    ],
    database: null,
    targets: [],
    timings: [],
    leftoverChildren: [],
  };
  results.targets = evaluateTargets(results);
  return results;
}

describe("report", () => {
  it("marks targets of missing contenders n/a and computes the others", () => {
    const targets = partialResults().targets;
    const byName = (part: string) => targets.find((t) => t.name.includes(part));
    expect(byName("5x tinypool")?.met).toBeNull();
    expect(byName("process-pool no-op throughput >= 2x piscina")).toMatchObject({ met: true, measured: 2.619 });
    expect(byName("process-pool 100 KB argument >= piscina")).toMatchObject({ met: true, measured: 1.188 });
    expect(byName("process-pool 100 KB argument >= 1.5x tinypool")?.met).toBeNull();
    expect(byName("process-pool 100 KB return value >= piscina")).toMatchObject({ met: true, measured: 1.5 });
    expect(byName("thread-pool 100 KB argument")?.met).toBeNull();
    expect(byName("process-pool enqueue()")).toMatchObject({ met: true, measured: 1.55 });
    expect(byName("round trip")).toMatchObject({ met: true, measured: 1.677 });
    // 42 ms inline over 23 ms at 2 workers: 1.83x, under the 1.9x goal.
    expect(byName("process-pool: 200 CPU")).toMatchObject({ met: false, measured: 1.826 });
    expect(byName("thread-pool: 200 CPU")?.met).toBeNull();
    expect(byName("process-pool: a million")?.met).toBe(true);
  });

  it("says why the database section was skipped, and marks its goals n/a with that reason", () => {
    const results = partialResults();
    results.options = { ...results.options, backends: [...results.options.backends, "database"] };
    results.database = {
      skipped: "skipped: better-sqlite3 not installed",
      workers: 2,
      intervalMs: 0,
      tasks: 0,
      perSecond: [],
      floorPerSecond: [],
      latency: [],
      enqueue: [],
      cpu: null,
    };
    results.targets = evaluateTargets(results);
    const text = renderReport(results);
    expect(text).toContain("== database (SQLite)");
    expect(text).toMatch(/all +skipped: better-sqlite3 not installed/);
    const db = results.targets.filter((t) => t.name.startsWith("database"));
    expect(db).toHaveLength(2);
    for (const t of db) expect(t).toMatchObject({ met: null, detail: "skipped: better-sqlite3 not installed" });
  });

  it("computes the database goals from its samples", () => {
    const results = partialResults();
    results.database = {
      skipped: null,
      workers: 2,
      intervalMs: 5,
      tasks: 1000,
      perSecond: [6000, 7000, 8000],
      floorPerSecond: [12000],
      latency: [[900, 1000, 1100]],
      enqueue: [{ calls: 3, p50Us: 40, p90Us: 50, p99Us: 60, maxUs: 70 }],
      cpu: {
        tasks: 20,
        fibN: 28,
        rows: [
          { workers: 1, wallMs: [140] },
          { workers: 2, wallMs: [100] },
        ],
      },
    };
    results.targets = evaluateTargets(results);
    const byName = (part: string) => results.targets.find((t) => t.name.includes(part));
    expect(byName("no-op tasks end to end >= 5000/s")).toMatchObject({ met: true, measured: 7000 });
    expect(byName("--concurrency 2 >= 1.8x")).toMatchObject({ met: false, measured: 1.4 });
    const text = renderReport(results);
    expect(text).toMatch(/^database \(worker ×2\) +7,000 +1000/m);
    expect(text).toMatch(/met +database \(SQLite\): no-op tasks end to end/);
  });

  it("renders every table without crashing on missing rows", () => {
    const text = renderReport(partialResults());
    expect(text).toContain("== goals, checked in this run ==");
    expect(text).toMatch(/met +process-pool no-op throughput >= 2x piscina/);
    expect(text).toMatch(/n\/a +process-pool no-op throughput >= 5x/);
    expect(text).toContain("2.62x");
    expect(text).not.toContain("pools issue");
  });

  it("leads with the summary table and a plain verdict", () => {
    const text = renderReport(partialResults());
    const lines = text.split("\n");
    expect(lines.findIndex((l) => l.startsWith("== summary: 2 workers"))).toBeLessThan(
      lines.findIndex((l) => l.startsWith("== throughput")),
    );
    expect(text).toMatch(/^process-pool +55,000 +52\.0 +1\.83x/m);
    expect(text).toContain(
      "For CPU-heavy work use process-pool, because it ran CPU-bound tasks 1.83x faster than inline with 2 workers, and a crash, leak or process.exit() in a task costs only its worker.",
    );
    expect(text).toContain(
      "For floods of small tasks process-pool was fastest: 55,000 tasks/s with 2 workers (piscina 21,000).",
    );
    // One duration, the measured one.
    expect(text.match(/\d+ s\b/g)).toEqual(["1 s"]);
  });

  it("says so when a pool beats its floor, and does not count the goal", () => {
    const results = partialResults();
    results.latency = [
      { backend: "raw-process", workers: 1, runs: [[30, 31, 32]] },
      {
        backend: "process-pool",
        workers: 2,
        runs: [[19, 20, 21]],
        floor: { backend: "raw-process", runs: [[80, 81, 82]] },
      },
    ];
    results.targets = evaluateTargets(results);
    const trip = results.targets.find((t) => t.name.includes("round trip"));
    expect(trip?.met).toBeNull();
    expect(trip?.detail).toContain("not a floor");
    expect(renderReport(results)).toContain("81.0 raw-process: 0.25x (not a floor!)");
  });

  it("does not recommend a pool when none beat inline (a busy machine)", () => {
    const results = partialResults();
    results.cpu!.rows = [{ backend: "process-pool", workers: 2, wallMs: [40], inlineMs: [42] }];
    expect(renderReport(results)).toContain("No pool ran CPU-bound tasks clearly faster than inline here");
  });

  it("renders a well-formed SVG that escapes text", () => {
    const svg = renderSvg(partialResults());
    expect(() => checkWellFormed(svg)).not.toThrow();
    expect(svg).toContain("Test &lt;CPU&gt; &amp; co");
    expect(svg).toContain(">process-pool</text>");
    expect(svg).toContain(">ideal</text>");
    expect(svg).not.toContain("NaN");
  });
});
