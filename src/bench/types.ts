/**
 * The shapes of the benchmark's options and results. The results are what `--json` writes: every
 * counted sample is kept, so a later reader can recompute any statistic the tables show.
 */

/** Every contender `--backends` accepts, in the order the tables list them. */
export const BACKENDS = [
  "immediate",
  "thread-pool",
  "process-pool",
  "tinypool-threads",
  "tinypool-process",
  "piscina",
  "database",
] as const;

/** The contenders that run the shared sections (throughput, latency, CPU, …); `database` has its own. */
export type PoolBackendName = Exclude<BackendName, "database">;

/** One contender: a tasklane backend or a peer library used directly. */
export type BackendName = (typeof BACKENDS)[number];

/** The raw floors the latency and memory sections compare against (no pool at all). */
export type RawName = "raw-process" | "raw-thread";

/** What to run, after defaults and `--quick` are applied. */
export interface BenchOptions {
  backends: BackendName[];
  /** Worker counts for the enqueue, throughput, latency, payload and memory sections. */
  workers: number[];
  /** Worker counts for the CPU-scaling section. */
  cpuWorkers: number[];
  /** No-op tasks per throughput run (the flood). */
  tasks: number;
  /** Counted runs per measurement (warm-up runs come on top). */
  repeat: number;
  /** Uncounted runs before the counted ones. */
  warmup: number;
  /** Single-task round trips per latency run. */
  roundTrips: number;
  /** Individually timed `enqueue()` calls per enqueue run. */
  enqueueCalls: number;
  /** Benchmark.js: minimum counted cycles, seconds per cycle, and the overall time budget. */
  benchmarkMinSamples: number;
  benchmarkMinTime: number;
  benchmarkMaxTime: number;
  /** Tasks per CPU batch, and the target duration of one task. */
  cpuTasks: number;
  cpuTaskMs: number;
  /** Tasks per payload run, and the size of the large JSON argument. */
  payloadTasks: number;
  payloadBytes: number;
  /** No-op tasks in the memory flood, and how many are in flight at once. */
  memoryTasks: number;
  memoryWindow: number;
  /** The `maxResults` the memory section configures (the product promise is about 1000). */
  maxResults: number;
  quick: boolean;
  json: string | null;
  svg: string | null;
  /** Draw the progress bar (only ever on a TTY stderr). */
  progress: boolean;
}

/** The machine and software a run was made on. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  memoryBytes: number;
  os: { type: string; platform: string; release: string; arch: string };
  /** 1, 5 and 15 minute load averages when the run started: a busy machine shows here. */
  loadavg: number[];
}

/** Which contender and how many workers (`null` for the inline `immediate` backend and raw floors). */
export interface RowKey {
  backend: BackendName | RawName;
  workers: number | null;
}

/** Per-call quantiles of one run of individually timed calls. */
export interface CallQuantiles {
  calls: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
}

/** `enqueue()` (or `pool.run()`) cost: Benchmark.js cycle means and per-call runs. */
export interface EnqueueRow extends RowKey {
  /** Benchmark.js `stats.sample`: mean µs per call of each counted cycle. */
  benchmarkUs: number[];
  /** Benchmark.js relative margin of error (%). */
  benchmarkRme: number;
  /** Pause between Benchmark.js cycles so the pool keeps up (s). */
  benchmarkDelay: number;
  perCall: CallQuantiles[];
}

/** A flood of no-op tasks: tasks per second of each counted run. */
export interface ThroughputRow extends RowKey {
  tasks: number;
  perSecond: number[];
}

/** Single-task round trips on an idle, warm pool: every counted round trip, per run. */
export interface LatencyRow extends RowKey {
  runs: number[][];
  /**
   * The floor measured alongside, trip for trip: after each of this contender's round trips, one
   * round trip of the bare echo over the same channel (`runs[r][i]` pairs with `floorRuns[r][i]`),
   * so both see the same machine. Absent for the floors themselves and contenders without one.
   */
  floor?: { backend: RawName; runs: number[][] };
}

/** A batch of CPU tasks: wall time of each counted run, and of the inline run paired with it. */
export interface CpuRow extends RowKey {
  wallMs: number[];
  /** The same batch inline, measured just before each counted run (speedup = inlineMs[i] / wallMs[i]). */
  inlineMs: number[];
}

/** The CPU section: the calibration, the inline reference and one row per contender. */
export interface CpuSection {
  /** The `fib(n)` argument chosen so one task takes about `taskMs`. */
  fibN: number;
  /** Measured inline duration of one task at calibration (ms). */
  taskMs: number;
  tasks: number;
  /** The same batch run inline on the main thread, per counted run. */
  inlineMs: number[];
  rows: CpuRow[];
}

/** Throughput with a small argument and with a large one. */
export interface PayloadRow extends RowKey {
  tasks: number;
  bytes: number;
  smallPerSecond: number[];
  largePerSecond: number[];
  /** Tasks returning `bytes` of JSON (taking a small argument). */
  returnPerSecond: number[];
}

/** One memory flood: parent heap and RSS before and after, each after a full GC. */
export interface MemoryRun {
  heapBefore: number;
  heapAfter: number;
  rssBefore: number;
  rssAfter: number;
  seconds: number;
}

/** Parent memory after a long flood, and each child's RSS (processes only). */
export interface MemoryRow extends RowKey {
  tasks: number;
  runs: MemoryRun[];
  /** VmRSS of each child process once warm and idle (bytes); empty for threads and inline. */
  childRssIdle: number[];
  /** The same after the flood. */
  childRssAfter: number[];
}

/**
 * The `database` backend (SQLite) end to end: this process enqueues, `tasklane worker` processes run.
 * `skipped` says why nothing else is filled in (better-sqlite3 missing).
 */
export interface DatabaseSection {
  skipped: string | null;
  /** `--concurrency` of the worker the flood, latency and enqueue runs go through. */
  workers: number;
  /** The worker's `--interval` (ms). */
  intervalMs: number;
  /** No-op tasks per flood. */
  tasks: number;
  /** Flood: enqueue all, wait until all are finished; tasks/s per counted run. */
  perSecond: number[];
  /** The floor: a bare claim+settle loop through the store on a file like it, per counted run. */
  floorPerSecond: number[];
  /** Enqueue → finished, one at a time (`enqueue()` then `wait()`), µs, per counted run. */
  latency: number[][];
  /** `await enqueue()` per call, per counted run. */
  enqueue: CallQuantiles[];
  /** The same CPU batch at each --concurrency: wall ms per counted run. */
  cpu: { tasks: number; fibN: number; rows: { workers: number; wallMs: number[] }[] } | null;
}

/**
 * The `database` backend on PostgreSQL, on a throwaway server the benchmark starts (test settings:
 * fsync and synchronous_commit off, a unix socket). `skipped` says why nothing else is filled in.
 */
export interface PostgresSection {
  skipped: string | null;
  /** The server's version and settings, as a sentence. */
  server: string;
  /** `--concurrency` of each worker process. */
  concurrency: number;
  /** No-op tasks per flood. */
  tasks: number;
  /** Flood (enqueue all, 16 in flight, until every row is SUCCESSFUL): tasks/s per counted run, per worker count. */
  throughput: { workers: number; perSecond: number[] }[];
  /** Enqueue → claim (started_at − enqueued_at, the server's clock, µs precision) on an idle worker, ms, per counted run. */
  startMs: number[][];
  /** Enqueue → finished as the enqueuer sees it (`enqueue()` then `wait()`), ms, per counted run. */
  finishedMs: number[][];
  /** `await enqueue()` per call, per counted run. */
  enqueue: CallQuantiles[];
}

/** One of tasklane's performance goals, evaluated on this run. */
export interface TargetResult {
  name: string;
  /** The measured value, in the target's own unit (ratio, µs, MB). */
  measured: number | null;
  threshold: string;
  met: boolean | null;
  detail: string;
}

/** Everything one run produced (the `--json` file). */
export interface BenchResults {
  schema: 2;
  tasklaneVersion: string;
  node: string;
  v8: string;
  date: string;
  durationSeconds: number;
  machine: MachineInfo;
  options: BenchOptions;
  enqueue: EnqueueRow[];
  throughput: ThroughputRow[];
  latency: LatencyRow[];
  cpu: CpuSection | null;
  payload: PayloadRow[];
  memory: MemoryRow[];
  /** Null when `database` was not among the backends. */
  database: DatabaseSection | null;
  /** The database section on PostgreSQL; absent or null when `database` was not among the backends. */
  postgres?: PostgresSection | null;
  targets: TargetResult[];
  /** Seconds each step took (start-up of a contender, each section), to see where a run's time goes. */
  timings: { step: string; seconds: number }[];
  /** Child processes of the benchmark still alive at the end (should be empty). */
  leftoverChildren: number[];
}
