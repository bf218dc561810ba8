import { enqueueMedianOf, findRow, heapDelta, latencyP50Of, speedupOf, throughputOf } from "../derive.ts";
import { median, ratio } from "../stats.ts";
import type { BenchResults, RowKey } from "../types.ts";
import { fmtMbDelta, fmtNum, fmtRatio } from "./format.ts";
import type { Table } from "./table.ts";

type Name = RowKey["backend"];

/**
 * The comparisons the issue cares about, as ratios of medians measured in this one run (so machine
 * load cancels out as far as it can). Missing contenders give "-".
 */
export function ratiosTable(results: BenchResults): Table {
  const rows: string[][] = [];
  const add = (what: string, workers: number, value: number, better: string) =>
    rows.push([what, String(workers), fmtRatio(value), better]);
  const tp = (b: Name, w: number) => throughputOf(results, b, w);
  const payload = (b: Name, w: number) => {
    const row = findRow(results.payload, b, w);
    return row ? median(row.largePerSecond) : Number.NaN;
  };
  for (const w of results.options.workers) {
    add(
      "throughput process-pool / tinypool-process",
      w,
      ratio(tp("process-pool", w), tp("tinypool-process", w)),
      "higher",
    );
    add("throughput process-pool / piscina", w, ratio(tp("process-pool", w), tp("piscina", w)), "higher");
    add("throughput thread-pool / piscina", w, ratio(tp("thread-pool", w), tp("piscina", w)), "higher");
    add(
      "throughput thread-pool / tinypool-threads",
      w,
      ratio(tp("thread-pool", w), tp("tinypool-threads", w)),
      "higher",
    );
    add(
      "enqueue cost process-pool / tinypool-process",
      w,
      ratio(enqueueMedianOf(results, "process-pool", w), enqueueMedianOf(results, "tinypool-process", w)),
      "lower",
    );
    add(
      "enqueue cost thread-pool / piscina",
      w,
      ratio(enqueueMedianOf(results, "thread-pool", w), enqueueMedianOf(results, "piscina", w)),
      "lower",
    );
    add(
      "latency p50 process-pool / raw fork ping-pong",
      w,
      ratio(latencyP50Of(results, "process-pool", w), latencyP50Of(results, "raw-fork", 1)),
      "lower",
    );
    add(
      "latency p50 process-pool / tinypool-process",
      w,
      ratio(latencyP50Of(results, "process-pool", w), latencyP50Of(results, "tinypool-process", w)),
      "lower",
    );
    add(
      "latency p50 thread-pool / raw thread ping-pong",
      w,
      ratio(latencyP50Of(results, "thread-pool", w), latencyP50Of(results, "raw-thread", 1)),
      "lower",
    );
    add(
      "100 KB payload process-pool / tinypool-process",
      w,
      ratio(payload("process-pool", w), payload("tinypool-process", w)),
      "higher",
    );
    add("100 KB payload thread-pool / piscina", w, ratio(payload("thread-pool", w), payload("piscina", w)), "higher");
  }
  for (const w of results.options.cpuWorkers) {
    add(
      "CPU speedup process-pool / thread-pool",
      w,
      ratio(speedupOf(results, "process-pool", w), speedupOf(results, "thread-pool", w)),
      "higher",
    );
  }
  const notes = results.memory
    .filter((row) => row.runs.length > 0)
    .map((row) => `heap delta ${row.backend}: ${fmtMbDelta(heapDelta(row))} after ${row.tasks} tasks`);
  return {
    title: "== ratios within this run ==",
    headers: ["ratio", "workers", "value", "better"],
    rows,
    leftColumns: 1,
    notes,
  };
}

/** The targets of the pools issue, each MET, NOT MET, or n/a when not measured. */
export function targetsTable(results: BenchResults): Table {
  return {
    title: "== targets (pools issue) ==",
    headers: ["status", "target", "measured", "detail"],
    rows: results.targets.map((t) => [
      t.met === null ? "n/a" : t.met ? "MET" : "NOT MET",
      t.name,
      t.measured === null
        ? "-"
        : t.threshold.endsWith("x")
          ? fmtRatio(t.measured)
          : `${fmtNum(t.measured)} ${unitOf(t.threshold)}`,
      t.detail,
    ]),
    leftColumns: 4,
  };
}

/** The unit at the end of a threshold such as "< 20 us". */
function unitOf(threshold: string): string {
  return threshold.split(" ").pop() ?? "";
}
