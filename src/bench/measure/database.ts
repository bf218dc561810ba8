import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseBackend } from "../../backends/database.ts";
import { openStore } from "../../db/open-store.ts";
import { loadSqliteDriver } from "../../db/sqlite/driver.ts";
import type { TaskStore } from "../../db/store.ts";
import { closeAll, configure, getBackend, Task, type TaskResult } from "../../index.ts";
import { sleep } from "../contenders/contender.ts";
import { benchFile } from "../paths.ts";
import type { BenchOptions, CallQuantiles, DatabaseSection } from "../types.ts";
import { WorkerProcess } from "./db-worker.ts";
import { callQuantiles } from "./enqueue.ts";
import { repeatRuns } from "./repeat.ts";

/** The concurrency the goals are stated at, and the one it is compared with. */
export const DB_WORKERS = 2;
/** The worker's idle poll (`--interval`, s): SQLite cannot wake a worker in another process. */
export const DB_INTERVAL_S = 0.005;
/** CPU tasks per batch at least: a batch of a few ms would measure the poll, not the scaling. */
const MIN_CPU_TASKS = 20;
/** How often the bench reads the rows while it waits for a batch (ms). */
const POLL_MS = 5;

interface BenchTasks {
  noop: Task<[], unknown>;
  cpu: Task<[number], unknown>;
}

/** Why the database section cannot run here, or null when better-sqlite3 loads. */
export function databaseUnavailable(): string | null {
  try {
    loadSqliteDriver();
    return null;
  } catch {
    return "skipped: better-sqlite3 not installed";
  }
}

/**
 * The `database` backend end to end: this process enqueues through the public API into a fresh
 * SQLite file, and `tasklane worker` processes (separate, as a user runs them) claim and run the
 * rows. Measured: the enqueue call, a no-op flood (enqueue all, wait until all are finished), one
 * task at a time, and a CPU batch at --concurrency 2 against --concurrency 1. The floor is a bare
 * claim+settle loop on a file like it through the store, with no task run at all.
 */
export class DatabaseBench {
  readonly #dir = mkdtempSync(join(tmpdir(), "tasklane-bench-db-"));
  readonly #options: BenchOptions;
  readonly #fibN: number;
  #worker: WorkerProcess | null = null;
  #tasks: BenchTasks | null = null;
  #store: TaskStore | null = null;

  constructor(options: BenchOptions, fibN: number) {
    this.#options = options;
    this.#fibN = fibN;
  }

  async run(step: (label: string) => void): Promise<DatabaseSection> {
    const o = this.#options;
    const url = `sqlite:${join(this.#dir, "bench.db")}`;
    const config = join(this.#dir, "tasklane.config.json");
    writeFileSync(config, JSON.stringify({ default: { backend: "database", options: { url } } }));
    configure({ default: { backend: "database", options: { url } } });
    this.#tasks = (await import(benchFile("tasks.mjs").href)) as BenchTasks;
    if (!(this.#tasks.noop instanceof Task)) throw new Error("benchmark: run the database section from dist/");
    this.#store = await (getBackend() as DatabaseBackend).store();
    const cpuTasks = Math.max(MIN_CPU_TASKS, o.cpuTasks);
    // --quick: the worker's start-ups dominate already; keep the rest to a few seconds.
    const tasks = o.quick ? Math.min(o.tasks, 500) : o.tasks;
    const trips = o.quick ? Math.min(o.roundTrips, 50) : o.roundTrips;
    const calls = o.quick ? Math.min(o.enqueueCalls, 200) : o.enqueueCalls;

    // --concurrency 1 first, for the CPU batch only.
    await this.#startWorker(config, 1);
    const cpuOne = await repeatRuns(o.warmup, o.repeat, () => this.#cpuBatch(cpuTasks));
    await this.#stopWorker();
    step("database: --concurrency 1 done");

    await this.#startWorker(config, DB_WORKERS);
    const cpuTwo = await repeatRuns(o.warmup, o.repeat, () => this.#cpuBatch(cpuTasks));
    const perSecond = await repeatRuns(o.warmup, o.repeat, () => this.#flood(tasks));
    const latency = await repeatRuns(o.warmup, o.repeat, () => this.#oneAtATime(trips));
    const enqueue = await repeatRuns(o.warmup, o.repeat, () => this.#enqueueCalls(calls));
    await this.#stopWorker();
    step("database: --concurrency 2 done");

    // No warm-up run: each run is a fresh file, and the store's statements are the same code either way.
    const floorPerSecond = await repeatRuns(0, o.repeat, (run) => this.#storeLoop(tasks, run));
    return {
      skipped: null,
      workers: DB_WORKERS,
      intervalMs: DB_INTERVAL_S * 1000,
      tasks,
      perSecond,
      floorPerSecond,
      latency,
      enqueue,
      cpu: {
        tasks: cpuTasks,
        fibN: this.#fibN,
        rows: [
          { workers: 1, wallMs: cpuOne },
          { workers: DB_WORKERS, wallMs: cpuTwo },
        ],
      },
    };
  }

  /** Stops the worker, closes the backend and removes the files; safe to call twice. */
  async close(): Promise<void> {
    await this.#stopWorker();
    await closeAll({ timeoutMs: 5_000 });
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #startWorker(config: string, concurrency: number): Promise<void> {
    this.#worker = new WorkerProcess(this.#dir, config, concurrency, DB_INTERVAL_S);
    // Warm: every child forked (slow tasks first, one per child and more), the module imported, JIT warm.
    await this.#runAll(this.#enqueueMany("cpu", concurrency * 2));
    await this.#runAll(this.#enqueueMany("noop", 200));
  }

  async #stopWorker(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    await worker?.stop();
  }

  #enqueue(kind: "noop" | "cpu"): Promise<TaskResult> {
    const tasks = this.#tasks;
    if (tasks === null) throw new Error("benchmark: the database section is not started");
    return kind === "noop" ? tasks.noop.enqueue() : tasks.cpu.enqueue(this.#fibN);
  }

  async #enqueueMany(kind: "noop" | "cpu", count: number): Promise<string[]> {
    const ids: string[] = new Array(count);
    for (let i = 0; i < count; i++) ids[i] = (await this.#enqueue(kind)).id;
    return ids;
  }

  /**
   * Resolves, once every row is SUCCESSFUL, with the latest `finishedAt` among them (epoch ms, the
   * worker's record). The rows are read in enqueue order (the order they are claimed in), every
   * 5 ms: the end is taken from the rows, not from when this process noticed, so the poll's own
   * CPU (on two cores shared with the worker and its children) stays small without blurring the time.
   */
  async #runAll(pending: Promise<string[]>): Promise<number> {
    const ids = await pending;
    const store = this.#store!;
    const deadline = Date.now() + 120_000;
    let last = 0;
    for (let i = 0; i < ids.length; ) {
      const row = await store.get(ids[i]!);
      if (row?.status === "SUCCESSFUL") {
        last = Math.max(last, row.finishedAt ?? 0);
        i++;
        continue;
      }
      if (row === null || row.status === "FAILED") {
        throw new Error(
          `benchmark: database task ${ids[i]} ended ${row?.status ?? "missing"}: ${JSON.stringify(row?.errors)}`,
        );
      }
      this.#worker?.checkAlive();
      if (Date.now() > deadline)
        throw new Error(`benchmark: database tasks not finished after 120 s\n${this.#worker?.log}`);
      await sleep(POLL_MS);
    }
    return last;
  }

  /** Enqueues `count` tasks and resolves with ms from the first enqueue to the last row's finish. */
  async #batch(kind: "noop" | "cpu", count: number): Promise<number> {
    const t0 = Date.now();
    const last = await this.#runAll(this.#enqueueMany(kind, count));
    return Math.max(1, last - t0);
  }

  async #flood(count: number): Promise<number> {
    return count / ((await this.#batch("noop", count)) / 1000);
  }

  #cpuBatch(count: number): Promise<number> {
    return this.#batch("cpu", count);
  }

  /** Enqueue → finished through the public API (`enqueue()`, then `wait()`), one task at a time, µs. */
  async #oneAtATime(trips: number): Promise<number[]> {
    const out: number[] = new Array(trips);
    for (let i = 0; i < trips; i++) {
      const t0 = performance.now();
      const result = await this.#enqueue("noop");
      await result.wait({ timeoutMs: 60_000 });
      out[i] = Math.round((performance.now() - t0) * 10_000) / 10;
      if (result.status !== "SUCCESSFUL") throw new Error(`benchmark: database no-op ended ${result.status}`);
    }
    return out;
  }

  /** `await enqueue()` timed call by call (the insert is done when it resolves), while the worker runs them. */
  async #enqueueCalls(calls: number): Promise<CallQuantiles> {
    const times: number[] = new Array(calls);
    const ids: string[] = new Array(calls);
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      ids[i] = (await this.#enqueue("noop")).id;
      times[i] = (performance.now() - t0) * 1000;
    }
    await this.#runAll(Promise.resolve(ids));
    return callQuantiles(times);
  }

  /**
   * The floor: `tasks` READY rows in a fresh file, then claim (as many as the worker has children)
   * and settle SUCCESSFUL in a loop until none is left, in this process, through the store: what
   * the worker's bookkeeping costs with no task run and no process in between.
   */
  async #storeLoop(tasks: number, run: number): Promise<number> {
    const store = await openStore(`sqlite:${join(this.#dir, `floor-${run}.db`)}`);
    try {
      await store.migrate();
      for (let i = 0; i < tasks; i++) {
        await store.enqueue({
          id: randomUUID(),
          taskPath: `${benchFile("tasks.mjs").href}#noop`,
          queueName: "default",
          backendName: "default",
          priority: 0,
          args: [],
          runAfter: null,
          maxAttempts: 1,
          backoffMs: null,
          timeoutMs: null,
        });
      }
      const request = {
        workerId: "floor",
        queues: "*" as const,
        excludeQueues: [],
        limit: DB_WORKERS,
        leaseMs: 60_000,
      };
      const t0 = performance.now();
      let done = 0;
      for (;;) {
        const claims = await store.claim(request);
        if (claims.length === 0) break;
        await store.settle(
          claims.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: null })),
        );
        done += claims.length;
      }
      return done / ((performance.now() - t0) / 1000);
    } finally {
      await store.close();
    }
  }
}
