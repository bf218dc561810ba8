import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeAll, configure, Task, type TaskResult } from "../../index.ts";
import { sleep } from "../contenders/contender.ts";
import { benchFile } from "../paths.ts";
import { findPostgresBin, type PostgresServer, startPostgres } from "../postgres-server.ts";
import type { BenchOptions, CallQuantiles, PostgresSection } from "../types.ts";
import { WorkerProcess } from "./db-worker.ts";
import { callQuantiles } from "./enqueue.ts";
import { repeatRuns } from "./repeat.ts";

/** Worker processes the flood runs through, each at PG_CONCURRENCY. */
export const PG_WORKER_COUNTS = [1, 2, 4] as const;
export const PG_CONCURRENCY = 2;
/** The idle poll (`--interval`, s): only a backstop, NOTIFY wakes the workers. */
const PG_INTERVAL_S = 1;
/** Enqueues in flight during a flood: more than the store's pool (4) serves at once. */
const IN_FLIGHT = 16;

/** Why the PostgreSQL part cannot run here (no server binaries, no `pg`), or null. */
export async function postgresUnavailable(): Promise<string | null> {
  const found = findPostgresBin();
  if ("missing" in found) return `skipped: ${found.missing}`;
  try {
    await import("pg");
    return null;
  } catch {
    return "skipped: pg not installed (npm install pg)";
  }
}

/**
 * The `database` backend on PostgreSQL end to end, on a throwaway server started here: this process
 * enqueues through the public API, 1, 2 and 4 `tasklane worker` processes claim and run no-ops.
 * Measured: the flood's throughput per worker count, enqueue → start on an idle worker (the
 * server's own timestamps), and the enqueue call.
 */
export class PostgresBench {
  readonly #dir = mkdtempSync(join(tmpdir(), "tasklane-bench-pg-"));
  readonly #options: BenchOptions;
  #server: PostgresServer | null = null;
  #workers: WorkerProcess[] = [];
  #noop: Task<[], unknown> | null = null;

  constructor(options: BenchOptions) {
    this.#options = options;
  }

  async run(step: (label: string) => void): Promise<PostgresSection> {
    const o = this.#options;
    const found = findPostgresBin();
    if ("missing" in found) throw new Error(found.missing);
    this.#server = await startPostgres(found.bin);
    const url = this.#server.url("postgres");
    const config = join(this.#dir, "tasklane.config.json");
    const entry = { backend: "database", options: { url } };
    writeFileSync(config, JSON.stringify({ default: entry }));
    configure({ default: entry });
    const tasks = (await import(benchFile("tasks.mjs").href)) as { noop: Task<[], unknown> };
    if (!(tasks.noop instanceof Task)) throw new Error("benchmark: run the database section from dist/");
    this.#noop = tasks.noop;
    const version = await this.#sql("SHOW server_version");
    const floodTasks = o.quick ? Math.min(o.tasks, 500) : Math.min(o.tasks, 5000);
    const tripCount = o.quick ? Math.min(o.roundTrips, 50) : o.roundTrips;
    const calls = o.quick ? Math.min(o.enqueueCalls, 200) : o.enqueueCalls;

    const throughput: PostgresSection["throughput"] = [];
    let trips: { claimMs: number[]; finishedMs: number[] }[] = [];
    let enqueue: CallQuantiles[] = [];
    for (const count of PG_WORKER_COUNTS) {
      await this.#startWorkers(config, count);
      const perSecond = await repeatRuns(o.warmup, o.repeat, async () => {
        const ms = await this.#flood(floodTasks);
        await this.#sql("DELETE FROM tasklane.tasklane_tasks");
        return floodTasks / (ms / 1000);
      });
      throughput.push({ workers: count, perSecond });
      if (count === 1) {
        trips = await repeatRuns(o.warmup, o.repeat, () => this.#oneAtATime(tripCount));
        enqueue = await repeatRuns(o.warmup, o.repeat, () => this.#enqueueCalls(calls));
      }
      await this.#stopWorkers();
      step(`database (PostgreSQL): ${count} worker process(es) done`);
    }
    return {
      skipped: null,
      server: `PostgreSQL ${version}, a throwaway server on a unix socket, fsync=off, synchronous_commit=off`,
      concurrency: PG_CONCURRENCY,
      tasks: floodTasks,
      throughput,
      startMs: trips.map((t) => t.claimMs),
      finishedMs: trips.map((t) => t.finishedMs),
      enqueue,
    };
  }

  /** Stops the workers and the server, removes the files; safe to call twice. */
  async close(): Promise<void> {
    await this.#stopWorkers();
    await closeAll({ timeoutMs: 5_000 });
    await this.#server?.stop();
    this.#server = null;
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #sql(text: string): Promise<string> {
    const rows = await this.#query(text, []);
    return String(Object.values(rows[0] ?? {})[0] ?? "");
  }

  async #query(text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: this.#server?.url("postgres") });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  }

  async #startWorkers(config: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.#workers.push(new WorkerProcess(this.#dir, config, PG_CONCURRENCY, PG_INTERVAL_S));
    }
    // Warm: every child forked, the module imported, the JIT warm.
    await this.#flood(100 * count);
  }

  async #stopWorkers(): Promise<void> {
    const workers = this.#workers;
    this.#workers = [];
    await Promise.all(workers.map((w) => w.stop()));
  }

  #enqueue(): Promise<TaskResult> {
    if (this.#noop === null) throw new Error("benchmark: the PostgreSQL section is not started");
    return this.#noop.enqueue();
  }

  /**
   * Enqueues `count` no-ops, IN_FLIGHT at a time, waits until none is READY or RUNNING, and resolves
   * with ms from the first enqueue to the latest finished_at. The wait asks one count over the
   * partial READY and RUNNING indexes every 5 ms (a GROUP BY over every row, every 2 ms, took a
   * share of the two cores the flood runs on), and the end comes from the rows, not the poll.
   */
  async #flood(count: number): Promise<number> {
    const t0 = Date.now();
    let next = 0;
    const lane = async () => {
      while (next < count) {
        next++;
        await this.#enqueue();
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    const deadline = Date.now() + 120_000;
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: this.#server?.url("postgres") });
    await client.connect();
    try {
      for (;;) {
        const found = await client.query(
          `SELECT (SELECT count(*) FROM tasklane.tasklane_tasks WHERE status = 'READY')::int
                + (SELECT count(*) FROM tasklane.tasklane_tasks WHERE status = 'RUNNING')::int AS open,
                  (SELECT count(*) FROM tasklane.tasklane_tasks WHERE status = 'FAILED')::int AS failed`,
        );
        const { open, failed } = found.rows[0] as { open: number; failed: number };
        if (failed > 0) throw new Error(`benchmark: ${failed} PostgreSQL no-op(s) FAILED`);
        if (open === 0) break;
        for (const w of this.#workers) w.checkAlive();
        if (Date.now() > deadline) throw new Error("benchmark: PostgreSQL tasks not finished after 120 s");
        await sleep(5);
      }
      const last = await client.query(
        "SELECT floor(extract(epoch from max(finished_at)) * 1000)::float8 AS last FROM tasklane.tasklane_tasks",
      );
      return Math.max(1, Number((last.rows[0] as { last: number }).last) - t0);
    } finally {
      await client.end();
    }
  }

  /**
   * One task at a time on an idle worker: enqueue → claim from the row's own timestamps (the
   * server's clock, µs), and enqueue → finished as the enqueuer sees it (`enqueue()` then `wait()`,
   * both wake-ups by NOTIFY), ms.
   */
  async #oneAtATime(trips: number): Promise<{ claimMs: number[]; finishedMs: number[] }> {
    const finishedMs: number[] = new Array(trips);
    const ids: string[] = new Array(trips);
    for (let i = 0; i < trips; i++) {
      const t0 = performance.now();
      const result = await this.#enqueue();
      await result.wait({ timeoutMs: 60_000 });
      finishedMs[i] = Math.round((performance.now() - t0) * 1000) / 1000;
      if (result.status !== "SUCCESSFUL") throw new Error(`benchmark: PostgreSQL no-op ended ${result.status}`);
      ids[i] = result.id;
    }
    const rows = await this.#query(
      "SELECT extract(epoch from started_at - enqueued_at)::float8 * 1000 AS ms FROM tasklane.tasklane_tasks WHERE id = ANY($1)",
      [ids],
    );
    const claimMs = rows.map((r) => Math.round(Number(r.ms) * 1000) / 1000);
    return { claimMs, finishedMs };
  }

  /** `await enqueue()` timed call by call (the insert and its NOTIFY are committed when it resolves). */
  async #enqueueCalls(calls: number): Promise<CallQuantiles> {
    const times: number[] = new Array(calls);
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await this.#enqueue();
      times[i] = (performance.now() - t0) * 1000;
    }
    return callQuantiles(times);
  }
}
