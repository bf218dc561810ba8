import { availableParallelism } from "node:os";
import { BACKENDS, type BackendName, type BenchOptions } from "./types.ts";

/** The options as the command line gives them (commander's parsed values). */
export interface CliBenchOptions {
  backends?: BackendName[];
  tasks?: number;
  workers?: number[];
  repeat?: number;
  quick?: boolean;
  json?: string;
  svg?: string;
  progress?: boolean;
  cpuTasks?: number;
  memoryTasks?: number;
}

/** Thrown for a malformed option value; the command turns it into a usage error. */
export class BenchOptionError extends Error {
  override get name(): string {
    return "BenchOptionError";
  }
}

/** Parses `a,b,c` into backend names, refusing unknown ones and naming the valid ones. */
export function parseBackends(list: string): BackendName[] {
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 0) throw new BenchOptionError("--backends needs at least one backend");
  const out: BackendName[] = [];
  for (const name of names) {
    if (!(BACKENDS as readonly string[]).includes(name)) {
      throw new BenchOptionError(`unknown backend '${name}'; expected some of: ${BACKENDS.join(", ")}`);
    }
    if (!out.includes(name as BackendName)) out.push(name as BackendName);
  }
  // Keep the canonical order, so tables and charts always list contenders the same way.
  return BACKENDS.filter((b) => out.includes(b));
}

/** Parses a whole number >= 1. */
export function parsePositiveInt(text: string, what = "value"): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new BenchOptionError(`${what} must be a whole number >= 1 (got '${text}')`);
  }
  return value;
}

/** Parses `1,2,4` into sorted, distinct whole numbers >= 1. */
export function parseWorkerList(list: string): number[] {
  const values = list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => parsePositiveInt(s, "each --workers entry"));
  if (values.length === 0) throw new BenchOptionError("--workers needs at least one count");
  return distinctSorted(values);
}

function distinctSorted(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * The default worker counts: 1, 2 (the goals are stated at 2 workers) and N; for the
 * CPU section, the powers of two up to N and N itself, so the speedup curve has its shape without
 * running every count on a large machine.
 */
export function defaultWorkers(n: number = availableParallelism()): { workers: number[]; cpuWorkers: number[] } {
  const cpu: number[] = [];
  for (let w = 1; w <= n; w *= 2) cpu.push(w);
  cpu.push(n);
  return { workers: distinctSorted([1, 2, n]), cpuWorkers: distinctSorted(cpu) };
}

/**
 * Fills in the defaults. `--quick` shrinks every section (fewer tasks, repeats and round trips) so
 * a whole run over all backends stays under 30 s on a 2-core machine; explicit options still win.
 */
export function resolveOptions(cli: CliBenchOptions): BenchOptions {
  const quick = cli.quick === true;
  const defaults = defaultWorkers();
  const workers = cli.workers ?? defaults.workers;
  return {
    backends: cli.backends ?? [...BACKENDS],
    workers,
    cpuWorkers: cli.workers ?? defaults.cpuWorkers,
    tasks: cli.tasks ?? (quick ? 1_000 : 20_000),
    repeat: cli.repeat ?? (quick ? 2 : 5),
    warmup: 1,
    roundTrips: quick ? 200 : 2_000,
    enqueueCalls: quick ? 500 : 10_000,
    // Every call Benchmark.js times enqueues a real task, which the pool must then run: short cycles
    // keep the slower peers' backlog (and so the run) short. Calls are ~1 us, so 0.2 ms is ~200 calls.
    benchmarkMinSamples: quick ? 5 : 20,
    benchmarkMinTime: quick ? 0.0002 : 0.002,
    benchmarkMaxTime: quick ? 0.05 : 1,
    cpuTasks: cli.cpuTasks ?? (quick ? 6 : 200),
    cpuTaskMs: 8,
    payloadTasks: quick ? 10 : 500,
    payloadBytes: 100_000,
    memoryTasks: cli.memoryTasks ?? (quick ? 3_000 : 1_000_000),
    memoryWindow: quick ? 1_000 : 10_000,
    maxResults: 1_000,
    quick,
    json: cli.json ?? null,
    svg: cli.svg ?? null,
    progress: cli.progress !== false,
  };
}
