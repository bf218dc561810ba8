/**
 * Raw throughput of the pool engine against tinypool and piscina: N no-op jobs through 2 workers,
 * all submitted at once, plus the round trip of a single job on an idle, warm pool.
 *
 *   node --import tsx bench/pool-throughput.ts [jobs=100000] [rounds=3]
 *
 * Each contender is warmed up first (workers forked, modules imported), then timed `rounds` times;
 * the best round is reported, as the others are mostly disturbed by the machine.
 */
import { performance } from "node:perf_hooks";
import { Piscina } from "piscina";
import { Tinypool } from "tinypool";
import { WorkerPool } from "../src/pool/pool.ts";
import type { PoolJob } from "../src/pool/types.ts";

const JOBS = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const WORKERS = 2;
const ROUND_TRIPS = 500;
const fixture = new URL("../test/fixtures/pool/plain.mjs", import.meta.url);

interface Contender {
  name: string;
  /** Runs `n` no-op jobs at once and resolves when all are done. */
  batch(n: number): Promise<void>;
  /** Runs one job and resolves when it is done. */
  one(): Promise<void>;
  close(): Promise<void>;
}

function tasklane(runtime: "process" | "thread"): Contender {
  let key = 0;
  let remaining = 0;
  let wake: (() => void) | null = null;
  const pool = new WorkerPool({
    runtime,
    lanes: { default: { maxWorkers: WORKERS } },
    listener: {
      onStart() {},
      onProgress() {},
      onFinish(_job, outcome) {
        if (!outcome.ok) throw new Error(outcome.error.message);
        if (--remaining === 0) wake?.();
      },
    },
  });
  const job = (): PoolJob => ({
    key: ++key,
    moduleUrl: fixture.href,
    exportName: "noop",
    args: [],
    priority: 0,
    lane: "default",
    runAfter: null,
    resultId: `r${key}`,
    attempt: 1,
    contextMeta: null,
    timeoutMs: null,
  });
  const batch = (n: number) =>
    new Promise<void>((resolve) => {
      remaining = n;
      wake = resolve;
      for (let i = 0; i < n; i++) pool.submit(job());
    });
  return { name: `tasklane ${runtime}`, batch, one: () => batch(1), close: () => pool.close() };
}

function tinypool(runtime: "child_process" | "worker_threads"): Contender {
  const pool = new Tinypool({ filename: fixture.href, runtime, minThreads: WORKERS, maxThreads: WORKERS });
  return {
    name: `tinypool ${runtime}`,
    async batch(n) {
      const all: Promise<unknown>[] = new Array(n);
      for (let i = 0; i < n; i++) all[i] = pool.run(null);
      await Promise.all(all);
    },
    async one() {
      await pool.run(null);
    },
    close: () => pool.destroy(),
  };
}

function piscina(): Contender {
  const pool = new Piscina({ filename: fixture.href, minThreads: WORKERS, maxThreads: WORKERS });
  return {
    name: "piscina threads",
    async batch(n) {
      const all: Promise<unknown>[] = new Array(n);
      for (let i = 0; i < n; i++) all[i] = pool.run(null);
      await Promise.all(all);
    },
    async one() {
      await pool.run(null);
    },
    close: () => pool.close(),
  };
}

interface Row {
  name: string;
  perSecond: number;
  roundTripUs: number;
}

async function measure(contender: Contender): Promise<Row> {
  await contender.batch(2_000); // fork, import, learn run times
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await contender.batch(JOBS);
    best = Math.max(best, JOBS / ((performance.now() - t0) / 1000));
  }
  const trips: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const t0 = performance.now();
    await contender.one();
    trips.push(performance.now() - t0);
  }
  trips.sort((a, b) => a - b);
  await contender.close();
  return { name: contender.name, perSecond: best, roundTripUs: trips[trips.length >> 1]! * 1000 };
}

const makers: (() => Contender)[] = [
  () => tasklane("process"),
  () => tasklane("thread"),
  () => tinypool("child_process"),
  () => tinypool("worker_threads"),
  () => piscina(),
];
const only = process.env.BENCH_ONLY;
const rows: Row[] = [];
for (const make of makers) {
  const contender = make();
  if (only !== undefined && !contender.name.includes(only)) {
    await contender.close();
    continue;
  }
  rows.push(await measure(contender));
}

const rate = (name: string) => rows.find((r) => r.name === name)?.perSecond ?? Number.NaN;
console.log(`${JOBS} no-op jobs, ${WORKERS} workers, best of ${ROUNDS} rounds; node ${process.version}`);
for (const row of rows) {
  console.log(
    `${row.name.padEnd(26)} ${Math.round(row.perSecond).toString().padStart(8)} jobs/s   round trip ${row.roundTripUs.toFixed(0).padStart(5)} µs (median of ${ROUND_TRIPS})`,
  );
}
const ratio = (a: string, b: string) => console.log(`${a} / ${b}: ${(rate(a) / rate(b)).toFixed(2)}x`);
ratio("tasklane process", "tinypool child_process");
ratio("tasklane process", "piscina threads");
ratio("tasklane thread", "piscina threads");
ratio("tasklane thread", "tinypool worker_threads");
