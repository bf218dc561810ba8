/**
 * The `database` backend for the behavioural suites the pools share, on each dialect: a fresh
 * SQLite file per test, or a fresh schema per test in a PostgreSQL database of the suite's own on
 * the run's throwaway server (only where there is one, see postgres-global-setup.ts); and a real worker (the `tasklane worker` class, with its own pool of child processes) running in
 * this process, so that the events the suites watch (taskStarted, taskProgress, taskFinished: they
 * fire where the worker runs) reach them. test/db/ runs workers as separate processes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseBackend } from "../../src/backends/database.ts";
import { DatabaseWorker, type WorkerEnd } from "../../src/db/worker.ts";
import { configure, getBackend } from "../../src/index.ts";
import { postgresTestServer } from "./postgres.ts";

/** The backends the shared suites run on: one entry per database dialect, one definition of each test. */
export const SHARED_BACKENDS = [
  "process-pool",
  "thread-pool",
  "database",
  ...(postgresTestServer().skip === undefined ? (["database on postgres"] as const) : []),
] as const;
export type SharedBackend = "process-pool" | "thread-pool" | "database" | "database on postgres";

/** Pool options that mean nothing to rows in a file (retention is `tasklane prune`'s job). */
const POOL_ONLY = new Set(["maxResults", "maxQueued", "maxResultBytes"]);

export class InProcessDatabase {
  /** Whether the suite's backend is a database one at all (nothing here does anything otherwise). */
  readonly applies: boolean;
  readonly #dialect: "sqlite" | "postgres";
  #dir: string | null = null;
  /** PostgreSQL: the suite's database (made in `prepare`), and how many schemas it has handed out. */
  #pgUrl: string | null = null;
  #schemas = 0;
  /** The worker, once the store is open, and what its `run()` resolves with. */
  #started: Promise<{ worker: DatabaseWorker; ended: Promise<WorkerEnd> }> | null = null;

  constructor(backendName: SharedBackend) {
    this.applies = backendName === "database" || backendName === "database on postgres";
    this.#dialect = backendName === "database on postgres" ? "postgres" : "sqlite";
  }

  /** Call in `beforeAll`: PostgreSQL makes the suite's database. */
  async prepare(): Promise<void> {
    if (this.applies && this.#dialect === "postgres") this.#pgUrl = await postgresTestServer().freshDatabase();
  }

  /** Call in `afterAll`: PostgreSQL drops the suite's database. */
  async release(): Promise<void> {
    if (this.#pgUrl !== null) await postgresTestServer().dropDatabase(this.#pgUrl);
    this.#pgUrl = null;
  }

  /** Configures `default` as a database backend on a new file or schema, and starts a worker claiming from it. */
  use(options: Record<string, unknown> = {}, queues?: readonly string[]): void {
    const dbOptions: Record<string, unknown> = { url: this.#freshUrl(), maxWorkers: 2 };
    if (this.#dialect === "postgres") dbOptions.schema = `test_${this.#schemas}`;
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

  #freshUrl(): string {
    if (this.#dialect === "sqlite") {
      this.#dir = mkdtempSync(join(tmpdir(), "tasklane-shared-db-"));
      return `sqlite:${join(this.#dir, "tasks.db")}`;
    }
    if (this.#pgUrl === null) throw new Error("InProcessDatabase: call prepare() in beforeAll first");
    this.#schemas += 1;
    return this.#pgUrl;
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
