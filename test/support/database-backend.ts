/**
 * The `database` backend for the behavioural suites the pools share: a fresh SQLite file per test
 * and a real worker (the `tasklane worker` class, with its own pool of child processes) running in
 * this process, so that the events the suites watch (taskStarted, taskProgress, taskFinished: they
 * fire where the worker runs) reach them. test/db/ runs workers as separate processes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseBackend } from "../../src/backends/database.ts";
import { DatabaseWorker, type WorkerEnd } from "../../src/db/worker.ts";
import { configure, getBackend } from "../../src/index.ts";

/** Pool options that mean nothing to rows in a file (retention is `tasklane prune`'s job). */
const POOL_ONLY = new Set(["maxResults", "maxQueued", "maxResultBytes"]);

export class InProcessDatabase {
  #dir: string | null = null;
  /** The worker, once the store is open, and what its `run()` resolves with. */
  #started: Promise<{ worker: DatabaseWorker; ended: Promise<WorkerEnd> }> | null = null;

  /** Configures `default` as a database backend on a new file, and starts a worker claiming from it. */
  use(options: Record<string, unknown> = {}, queues?: readonly string[]): void {
    this.#dir = mkdtempSync(join(tmpdir(), "tasklane-shared-db-"));
    const dbOptions: Record<string, unknown> = { url: `sqlite:${join(this.#dir, "tasks.db")}`, maxWorkers: 2 };
    for (const [name, value] of Object.entries(options)) if (!POOL_ONLY.has(name)) dbOptions[name] = value;
    configure({
      default: { backend: "database", ...(queues === undefined ? {} : { queues: [...queues] }), options: dbOptions },
    });
    let backend: DatabaseBackend;
    try {
      backend = getBackend() as DatabaseBackend;
    } catch {
      return; // bad options: the test asks getBackend() for the error itself
    }
    this.#started = backend.store().then((store) => {
      const worker = new DatabaseWorker(backend, store, {
        queues: "*",
        excludeQueues: [],
        concurrency: backend.settings.maxWorkers,
        // Short, so that a retry's run_after is noticed soon; new rows wake the worker at once.
        intervalMs: 50,
        batch: false,
        maxTasks: null,
        workerId: "shared-suite",
      });
      return { worker, ended: worker.run() };
    });
  }

  /** Stops the worker (what runs may finish) and waits for it. Call before `closeAll()`. */
  async stop(): Promise<void> {
    const started = this.#started;
    this.#started = null;
    if (started !== null) {
      const { worker, ended } = await started;
      worker.stop();
      await ended;
    }
  }

  /** Removes the file. Call after `closeAll()`, which closes the backend's connection. */
  dispose(): void {
    if (this.#dir !== null) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = null;
  }
}
