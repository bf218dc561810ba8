import { Piscina } from "piscina";
import { Tinypool } from "tinypool";
import { benchFile } from "../paths.ts";
import type { BackendName } from "../types.ts";
import { type Contender, type TaskKind, until } from "./contender.ts";

type PeerBackend = Extract<BackendName, "tinypool-threads" | "tinypool-process" | "piscina">;

/** What the two peer libraries have in common, as far as the benchmark uses them. */
interface PeerPool {
  run(task: unknown, options: { name: string }): Promise<unknown>;
  readonly completed: number;
}

/**
 * tinypool (worker_threads or child_process runtime) or piscina, used directly with the same worker
 * functions (bench/peer-worker.mjs) and a fixed number of workers (min = max), as a user who needs
 * no results, lanes or priorities would.
 */
export class PeerContender implements Contender {
  readonly backend: PeerBackend;
  readonly workers: number;
  #pool: (PeerPool & { close(): Promise<void> }) | null = null;
  #tinypool: Tinypool | null = null;
  /** Tasks started through this contender, compared with the pool's `completed` by `drain()`. */
  #started = 0;
  /** Tasks handed out by `submit()` and not settled: `close()` lets them settle before destroying. */
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(backend: PeerBackend, workers: number) {
    this.backend = backend;
    this.workers = workers;
  }

  async start(): Promise<void> {
    const filename = benchFile("peer-worker.mjs").href;
    const workers = this.workers;
    if (this.backend === "piscina") {
      const pool = new Piscina({ filename, minThreads: workers, maxThreads: workers });
      this.#pool = {
        run: (task, options) => pool.run(task, options),
        close: () => pool.close(),
        get completed() {
          return pool.completed;
        },
      };
    } else {
      const pool = new Tinypool({
        filename,
        runtime: this.backend === "tinypool-process" ? "child_process" : "worker_threads",
        minThreads: workers,
        maxThreads: workers,
        // tinypool gives a child process an empty environment unless told otherwise; a user would
        // pass theirs, and the smoke test finds leftover children by an environment marker.
        env: process.env as Record<string, string>,
      });
      this.#tinypool = pool;
      this.#pool = {
        run: (task, options) => pool.run(task, options),
        close: () => pool.destroy(),
        get completed() {
          return pool.completed;
        },
      };
    }
    await this.flood("cpu", workers * 2, 18);
    await this.flood("noop", 200, null);
  }

  submit(kind: TaskKind, arg: unknown): Promise<unknown> {
    this.#started++;
    const task = this.#live().run(arg, { name: kind });
    // Callers that only time the submission never await it: keep a handled copy, so a task that a
    // pool's destroy() rejects cannot end the whole run as an unhandled rejection.
    const settled = task.then(
      () => undefined,
      () => undefined,
    );
    this.#inflight.add(settled);
    void settled.then(() => this.#inflight.delete(settled));
    return task;
  }

  async runOne(kind: TaskKind, arg: unknown): Promise<void> {
    this.#started++;
    await this.#live().run(arg, { name: kind });
  }

  async flood(kind: TaskKind, count: number, arg: unknown): Promise<void> {
    const pool = this.#live();
    const all: Promise<unknown>[] = new Array(count);
    for (let i = 0; i < count; i++) all[i] = pool.run(arg, { name: kind });
    this.#started += count;
    await Promise.all(all);
  }

  async drain(): Promise<void> {
    const pool = this.#live();
    await until(
      () => pool.completed >= this.#started,
      () =>
        `${this.backend} to finish submitted tasks (${pool.completed} of ${this.#started} done, ` +
        `${this.#inflight.size} not settled, ${this.#tinypool?.queueSize ?? "?"} in tinypool's queue)`,
    );
  }

  workerPids(): number[] {
    // For the child_process runtime, tinypool's `threadId` is the child's pid.
    if (this.backend !== "tinypool-process" || this.#tinypool === null) return [];
    return this.#tinypool.threads.map((worker) => worker.threadId);
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    // Let every submitted task finish first (bounded), as a user shutting down cleanly would.
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
    await Promise.race([Promise.all(this.#inflight), deadline]);
    this.#pool = null;
    this.#tinypool = null;
    await pool?.close();
  }

  #live(): PeerPool {
    if (this.#pool === null) throw new Error(`benchmark: ${this.backend} is not started`);
    return this.#pool;
  }
}
