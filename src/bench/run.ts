import { type Contender, sleep } from "./contenders/contender.ts";
import { makeContender } from "./contenders/make.ts";
import { type Pinger, ProcessPinger, ThreadPinger } from "./contenders/raw.ts";
import { describeMachine } from "./machine.ts";
import { calibrateFib, measureCpu, measureInline } from "./measure/cpu.ts";
import { DatabaseBench, databaseUnavailable } from "./measure/database.ts";
import { measureEnqueue } from "./measure/enqueue.ts";
import { contenderLatency, rawLatency } from "./measure/latency.ts";
import { childRss, measureMemory } from "./measure/memory.ts";
import { measurePayload, measureRawThroughput, measureThroughput } from "./measure/throughput.ts";
import { checkBenchFiles, tasklaneVersion } from "./paths.ts";
import { largeArg, SMALL_ARG } from "./payload-data.ts";
import { childPids } from "./process-info.ts";
import { createProgress, type Progress } from "./progress.ts";
import { median } from "./stats.ts";
import { evaluateTargets } from "./targets.ts";
import type { BenchOptions, BenchResults, DatabaseSection, PoolBackendName } from "./types.ts";

type Section = "throughput" | "latency" | "payload" | "cpu" | "enqueue" | "memory";

/** One contender at one worker count, and the sections it takes part in. */
interface PlanEntry {
  backend: PoolBackendName;
  workers: number;
  sections: Section[];
}

/**
 * Which contenders run which sections: the main sections at each `workers` count, the CPU section at
 * each `cpuWorkers` count, memory at the largest `workers` count only (it is a long flood), and the
 * inline `immediate` backend once. Each entry gets one fresh pool for all its sections.
 */
export function buildPlan(options: BenchOptions): PlanEntry[] {
  const plan: PlanEntry[] = [];
  const maxWorkers = Math.max(...options.workers);
  for (const backend of options.backends) {
    if (backend === "database") continue; // its own section, see runDatabase()
    if (backend === "immediate") {
      plan.push({ backend, workers: 1, sections: ["throughput", "latency", "payload", "cpu", "enqueue", "memory"] });
      continue;
    }
    const counts = [...new Set([...options.workers, ...options.cpuWorkers])].sort((a, b) => a - b);
    for (const workers of counts) {
      const sections: Section[] = [];
      const main = options.workers.includes(workers);
      if (main) sections.push("throughput", "latency", "payload");
      if (options.cpuWorkers.includes(workers)) sections.push("cpu");
      if (main) sections.push("enqueue");
      if (workers === maxWorkers) sections.push("memory");
      plan.push({ backend, workers, sections });
    }
  }
  return plan;
}

/**
 * Runs the whole benchmark and returns every sample. Contenders run one after another, each with a
 * fresh pool that is closed before the next starts (`configure()` + `closeAll()` for tasklane); on
 * SIGINT the open pool is closed before exiting, so no child outlives the run.
 */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  checkBenchFiles();
  const t0 = performance.now();
  const plan = buildPlan(options);
  const withDatabase = options.backends.includes("database");
  const steps = 2 + 2 + plan.reduce((n, e) => n + e.sections.length, 0) + (withDatabase ? 2 : 0);
  const progress = createProgress(steps, options.progress);
  const results: BenchResults = {
    schema: 2,
    tasklaneVersion: tasklaneVersion(),
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    durationSeconds: 0,
    machine: describeMachine(),
    options,
    enqueue: [],
    throughput: [],
    latency: [],
    cpu: null,
    payload: [],
    memory: [],
    database: null,
    targets: [],
    timings: [],
    leftoverChildren: [],
  };

  let open: Contender | Pinger | DatabaseBench | null = null;
  const onSigint = () => {
    progress.stop();
    process.stderr.write("\ntasklane bench: interrupted, closing the pool\n");
    void Promise.resolve(open?.close()).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSigint);
  try {
    progress.label("calibrating fib");
    let started = performance.now();
    const calibration = await calibrateFib(options.cpuTaskMs);
    progress.step("inline CPU batch");
    const inlineMs = await measureInline(options, calibration.n);
    results.cpu = { fibN: calibration.n, taskMs: calibration.ms, tasks: options.cpuTasks, inlineMs, rows: [] };
    results.timings.push({ step: "calibration and inline CPU batch", seconds: secondsSince(started) });
    progress.step("raw process echo");

    for (const pinger of [new ProcessPinger(), new ThreadPinger()]) {
      open = pinger;
      started = performance.now();
      try {
        await pinger.start();
        const idle = childRss(pinger.pids());
        // In the pools' order (a flood, then one at a time), so the floor is measured as warm as they are.
        results.throughput.push(await measureRawThroughput(pinger, options));
        results.latency.push(await rawLatency(pinger, options));
        if (pinger.name === "raw-process") {
          results.memory.push({
            backend: "raw-process",
            workers: 1,
            tasks: 0,
            runs: [],
            childRssIdle: idle,
            childRssAfter: idle,
          });
        }
      } finally {
        open = null;
        await pinger.close();
      }
      results.timings.push({ step: pinger.name, seconds: secondsSince(started) });
      progress.step(pinger.name === "raw-process" ? "raw thread echo" : "contenders");
    }

    const large = largeArg(options.payloadBytes);
    for (const entry of plan) {
      const c = makeContender(entry.backend, entry.workers, options.maxResults);
      const name = c.workers === null ? c.backend : `${c.backend} ×${c.workers}`;
      open = c;
      try {
        progress.label(`${name}: starting`);
        const started = performance.now();
        await c.start();
        results.timings.push({ step: `${name}: start`, seconds: secondsSince(started) });
        const idleRss = childRss(c.workerPids());
        await runSections(c, entry.sections, options, { results, idleRss, large, fibN: calibration.n, progress, name });
      } finally {
        open = null;
        await c.close();
      }
    }
    if (withDatabase) {
      const skipped = databaseUnavailable();
      if (skipped !== null) {
        results.database = skippedDatabase(skipped);
      } else {
        const db = new DatabaseBench(options, calibration.n);
        open = db;
        progress.label("database: --concurrency 1");
        const started = performance.now();
        try {
          results.database = await db.run((label) => progress.step(label));
        } finally {
          open = null;
          await db.close();
        }
        results.timings.push({ step: "database", seconds: secondsSince(started) });
      }
    }
  } finally {
    process.removeListener("SIGINT", onSigint);
    progress.stop();
  }

  // Closing resolves once workers are gone; a moment more lets the kernel reap them before we look.
  await sleep(50);
  results.leftoverChildren = childPids();
  results.targets = evaluateTargets(results);
  results.durationSeconds = Math.round(performance.now() - t0) / 1000;
  return results;
}

interface SectionContext {
  results: BenchResults;
  idleRss: number[];
  large: unknown;
  fibN: number;
  progress: Progress;
  name: string;
}

async function runSections(c: Contender, sections: Section[], options: BenchOptions, ctx: SectionContext) {
  const { results, progress } = ctx;
  let floodRate = Number.NaN;
  for (const section of sections) {
    progress.label(`${ctx.name}: ${section}`);
    const started = performance.now();
    switch (section) {
      case "throughput": {
        const row = await measureThroughput(c, options);
        floodRate = median(row.perSecond);
        results.throughput.push(row);
        break;
      }
      case "latency":
        results.latency.push(await latencyWithFloor(c, options));
        break;
      case "payload":
        results.payload.push(await measurePayload(c, options, SMALL_ARG, ctx.large));
        break;
      case "cpu":
        results.cpu?.rows.push(await measureCpu(c, options, ctx.fibN));
        break;
      case "enqueue":
        results.enqueue.push(await measureEnqueue(c, options, floodRate));
        break;
      case "memory":
        results.memory.push(await measureMemory(c, options, ctx.idleRss));
        break;
    }
    results.timings.push({ step: `${ctx.name}: ${section}`, seconds: secondsSince(started) });
    progress.step(`${ctx.name}: ${section} done`);
  }
}

function secondsSince(start: number): number {
  return Math.round(performance.now() - start) / 1000;
}

/**
 * The bare echo over the channel a contender uses: tasklane's process pool talks JSON lines over
 * fd 3, the thread pools (tasklane's, piscina, tinypool's threads) post messages. tinypool's
 * child_process runtime uses Node's IPC channel, which has no floor here.
 */
function floorFor(backend: PoolBackendName): (() => Pinger) | null {
  if (backend === "process-pool") return () => new ProcessPinger();
  if (backend === "thread-pool" || backend === "piscina" || backend === "tinypool-threads") {
    return () => new ThreadPinger();
  }
  return null;
}

/** The latency section, with the contender's floor started, warmed and measured trip for trip alongside. */
async function latencyWithFloor(c: Contender, options: BenchOptions) {
  const make = floorFor(c.backend);
  if (make === null) return contenderLatency(c, options, null);
  const floor = make();
  try {
    await floor.start();
    return await contenderLatency(c, options, floor);
  } finally {
    await floor.close();
  }
}

function skippedDatabase(why: string): DatabaseSection {
  return {
    skipped: why,
    workers: 2,
    intervalMs: 0,
    tasks: 0,
    perSecond: [],
    floorPerSecond: [],
    latency: [],
    enqueue: [],
    cpu: null,
  };
}
