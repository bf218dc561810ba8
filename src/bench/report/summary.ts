import {
  databaseLatency,
  databaseThroughput,
  enqueueMedianOf,
  floorP50Of,
  latencyP50Of,
  payloadOf,
  speedupOf,
  throughputOf,
} from "../derive.ts";
import { median } from "../stats.ts";
import { TARGET_WORKERS } from "../targets.ts";
import type { BackendName, BenchResults, RowKey } from "../types.ts";
import { fmtInt, fmtNum, fmtRatio } from "./format.ts";
import type { Table } from "./table.ts";

/*
 * What a reader needs first: one row per contender at one worker count, and a verdict in plain
 * words, computed from the same medians as the sections below.
 */

type Name = RowKey["backend"];

/** The worker count the summary is read at: 2 (the goals' count) when measured, else the largest. */
export function summaryWorkers(results: BenchResults): number {
  const counts = results.options.workers;
  return counts.includes(TARGET_WORKERS) ? TARGET_WORKERS : Math.max(...counts);
}

/** One row per contender measured: no-op throughput, latency, CPU speedup, large payloads, enqueue cost. */
export function summaryTable(results: BenchResults): Table {
  const w = summaryWorkers(results);
  const kb = Math.round(results.options.payloadBytes / 1000);
  const row = (label: string, backend: Name, workers: number | null): string[] => [
    label,
    fmtInt(throughputOf(results, backend, workers)),
    fmtNum(latencyP50Of(results, backend, workers)),
    fmtRatio(speedupOf(results, backend, workers)),
    fmtInt(payloadOf(results, backend, workers, "largePerSecond")),
    fmtInt(payloadOf(results, backend, workers, "returnPerSecond")),
    fmtNum(enqueueMedianOf(results, backend, workers)),
  ];
  const rows = results.options.backends
    .filter((b) => b !== "database")
    .map((b) => row(b === "immediate" ? "immediate (inline)" : b, b, w));
  const db = results.database;
  if (db !== null && db.skipped === null) {
    const enqueueUs = median(db.enqueue.map((q) => q.p50Us));
    const p50 = databaseLatency(db).p50.median;
    rows.push([
      `database (worker ×${db.workers})`,
      fmtInt(databaseThroughput(db)),
      fmtNum(p50),
      "",
      "",
      "",
      fmtNum(enqueueUs),
    ]);
  }
  const floors = [
    ["raw-process", "process-pool"],
    ["raw-thread", "thread-pool"],
  ] as const;
  for (const [floor, pool] of floors) {
    if (!results.latency.some((r) => r.backend === floor)) continue;
    // The floor as measured alongside the pool it bounds, when it was; else its own run.
    const alongside = floorP50Of(results, pool, w);
    const p50 = Number.isFinite(alongside) ? alongside : latencyP50Of(results, floor, 1);
    rows.push([`${floor} (no pool)`, fmtInt(throughputOf(results, floor, 1)), fmtNum(p50), "", "", "", ""]);
  }
  return {
    title: `== summary: ${w} workers (medians; details below) ==`,
    headers: [
      "backend",
      "no-op tasks/s",
      "latency p50 us",
      "CPU speedup",
      `${kb} KB arg tasks/s`,
      `${kb} KB return tasks/s`,
      "enqueue us",
    ],
    rows,
    leftColumns: 1,
    notes: [
      "CPU speedup: a batch of CPU-bound tasks against the same batch run inline; raw-*: a bare echo, the floor",
      ...(db !== null && db.skipped === null
        ? [
            "database: SQLite, a tasklane worker in another process; enqueue us is awaited (the insert); see its own table",
          ]
        : []),
    ],
  };
}

const POOLS = ["process-pool", "thread-pool"] as const;
const PEERS: BackendName[] = ["piscina", "tinypool-threads", "tinypool-process"];

/**
 * The verdict in plain sentences: which backend for CPU-heavy work and which for floods of small
 * tasks, each with the measurement behind it. Empty when no tasklane pool was measured.
 */
export function verdict(results: BenchResults): string[] {
  const w = summaryWorkers(results);
  const measured = (value: (b: Name) => number) =>
    POOLS.map((b) => ({ b, v: value(b) })).filter((x) => Number.isFinite(x.v));
  const lines: string[] = [];
  const cpu = measured((b) => speedupOf(results, b, w)).sort((x, y) => y.v - x.v);
  const best = cpu[0];
  if (best !== undefined) {
    // Within 5 %, the process pool's isolation comes for free, so it is the one to recommend.
    const processPool = cpu.find((x) => x.b === "process-pool");
    const pick = processPool !== undefined && processPool.v >= best.v * 0.95 ? processPool : best;
    const others = [
      ...cpu.filter((x) => x !== pick).map((x) => `${x.b} ${fmtRatio(x.v)}`),
      ...peerList(results, (b) => speedupOf(results, b, w), fmtRatio),
    ].join(", ");
    if (best.v < 1.2) {
      lines.push(
        `No pool ran CPU-bound tasks clearly faster than inline here (best: ${best.b} ${fmtRatio(best.v)} with ${w} workers); ` +
          "the machine was probably busy: rerun on a quiet one before choosing.",
      );
    } else {
      const why =
        pick.b === "process-pool"
          ? "and a crash, leak or process.exit() in a task costs only its worker"
          : "though a task that crashes or exits takes the whole process with it";
      lines.push(
        `For CPU-heavy work use ${pick.b}, because it ran CPU-bound tasks ${fmtRatio(pick.v)} faster than inline ` +
          `with ${w} workers${others ? ` (${others})` : ""}, ${why}.`,
      );
    }
  }
  const flood = measured((b) => throughputOf(results, b, w)).sort((x, y) => y.v - x.v);
  const fastest = flood[0];
  if (fastest !== undefined) {
    const others = [
      ...flood.slice(1).map((x) => `${x.b} ${fmtInt(x.v)}`),
      ...peerList(results, (b) => throughputOf(results, b, w), fmtInt),
    ].join(", ");
    lines.push(
      `For floods of small tasks ${fastest.b} was fastest: ${fmtInt(fastest.v)} tasks/s with ${w} workers` +
        `${others ? ` (${others})` : ""}.`,
    );
  }
  return lines;
}

function peerList(results: BenchResults, value: (b: Name) => number, fmt: (n: number) => string): string[] {
  return PEERS.filter((b) => results.options.backends.includes(b))
    .map((b) => ({ b, v: value(b) }))
    .filter((x) => Number.isFinite(x.v))
    .map((x) => `${x.b} ${fmt(x.v)}`);
}

/** The goals, each met, missed, or n/a when not measured. */
export function goalsTable(results: BenchResults): Table {
  return {
    title: "== goals, checked in this run ==",
    headers: ["status", "goal", "measured", "how"],
    rows: results.targets.map((t) => [
      t.met === null ? "n/a" : t.met ? "met" : "missed",
      t.name,
      t.measured === null
        ? "-"
        : t.threshold.endsWith("x")
          ? fmtRatio(t.measured)
          : `${fmtNum(t.measured)} ${unitOf(t.threshold)}`,
      t.detail,
    ]),
    leftColumns: 4,
    notes: results.options.quick ? ["--quick: measured on fewer tasks and repeats than the goals state"] : [],
  };
}

/** The unit at the end of a threshold such as "< 20 us". */
function unitOf(threshold: string): string {
  return threshold.split(" ").pop() ?? "";
}
