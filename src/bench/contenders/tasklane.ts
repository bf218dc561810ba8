import { closeAll, configure, getBackend, PoolBackend, Task, type TaskResult } from "../../index.ts";
import type { JsonValue } from "../../json.ts";
import { benchFile } from "../paths.ts";
import type { BackendName } from "../types.ts";
import { type Contender, sleep, type TaskKind, until } from "./contender.ts";

/** The exports of bench/tasks.mjs. */
interface BenchTasks {
  noop: Task<[], unknown>;
  cpu: Task<[number], unknown>;
  payload: Task<[JsonValue], unknown>;
  returns: Task<[number], unknown>;
}

let tasksModule: Promise<BenchTasks> | null = null;

/** bench/tasks.mjs, imported once: it resolves "tasklane" to this same dist/, so it shares our configure(). */
function benchTasks(): Promise<BenchTasks> {
  tasksModule ??= import(benchFile("tasks.mjs").href) as Promise<BenchTasks>;
  return tasksModule;
}

type TasklaneBackend = Extract<BackendName, "immediate" | "thread-pool" | "process-pool">;

/**
 * A tasklane backend driven through the public API only: `configure()`, `task.enqueue()`,
 * `result.wait()`, `closeAll()`. `maxResults` is set explicitly, as the memory promise is about it.
 */
export class TasklaneContender implements Contender {
  readonly backend: TasklaneBackend;
  readonly workers: number | null;
  readonly #maxResults: number;
  #tasks: BenchTasks | null = null;

  constructor(backend: TasklaneBackend, workers: number | null, maxResults: number) {
    this.backend = backend;
    this.workers = backend === "immediate" ? null : workers;
    this.#maxResults = maxResults;
  }

  async start(): Promise<void> {
    const options: Record<string, number> = { maxResults: this.#maxResults };
    if (this.workers !== null) options.maxWorkers = this.workers;
    configure({ default: { backend: this.backend, options } });
    this.#tasks = await benchTasks();
    // bench/tasks.mjs imports "tasklane", which resolves to dist/. Run from src/ (through tsx), the
    // harness would configure one copy of tasklane while the tasks used another, unconfigured one.
    if (!(this.#tasks.noop instanceof Task)) {
      throw new Error(
        "benchmark: bench/tasks.mjs loaded another copy of tasklane than the harness; run the benchmark from " +
          "dist/ (npm run build, then node dist/cli/main.js bench)",
      );
    }
    // Slow tasks first, so that every worker is started (the pool forks lazily, one per waiting job).
    await this.flood("cpu", (this.workers ?? 1) * 2, 18);
    await this.flood("noop", 200, null);
    if (this.workers !== null) {
      const count = this.workers;
      await until(() => this.#pool().workerInfo().length >= count, `${this.backend} to start ${count} workers`);
    }
  }

  submit(kind: TaskKind, arg: unknown): Promise<TaskResult> {
    return this.#enqueue(kind, arg);
  }

  async runOne(kind: TaskKind, arg: unknown): Promise<void> {
    const result = await this.#enqueue(kind, arg);
    await result.wait();
    if (result.status !== "SUCCESSFUL") throw failure(result);
  }

  async flood(kind: TaskKind, count: number, arg: unknown): Promise<void> {
    const started: Promise<TaskResult>[] = new Array(count);
    for (let i = 0; i < count; i++) started[i] = this.#enqueue(kind, arg);
    const results = await Promise.all(started);
    await Promise.all(results.map((r) => r.wait()));
    // A task that failed fast would make a contender look fast: every one must have succeeded.
    for (const result of results) if (result.status !== "SUCCESSFUL") throw failure(result);
  }

  async drain(): Promise<void> {
    if (this.workers === null) {
      // Inline: submit() ran the task already; only its promise's last steps may be pending.
      await sleep(0);
      return;
    }
    const backend = this.#pool();
    await until(() => backend.pending === 0, `${this.backend} to finish submitted tasks`);
  }

  workerPids(): number[] {
    if (this.workers === null) return [];
    return this.#pool()
      .workerInfo()
      .map((w) => w.pid)
      .filter((pid): pid is number => pid !== null);
  }

  async close(): Promise<void> {
    await closeAll({ timeoutMs: 5_000 });
  }

  #enqueue(kind: TaskKind, arg: unknown): Promise<TaskResult> {
    const tasks = this.#tasks;
    if (tasks === null) throw new Error("benchmark: start() the contender first");
    if (kind === "noop") return tasks.noop.enqueue();
    if (kind === "cpu") return tasks.cpu.enqueue(arg as number);
    if (kind === "returns") return tasks.returns.enqueue(arg as number);
    return tasks.payload.enqueue(arg as JsonValue);
  }

  #pool(): PoolBackend {
    const backend = getBackend();
    if (!(backend instanceof PoolBackend)) throw new Error(`benchmark: ${this.backend} is not a pool backend`);
    return backend;
  }
}

function failure(result: TaskResult): Error {
  const error = result.errors[result.errors.length - 1];
  return new Error(
    `benchmark: task ${result.task.modulePath} ended ${result.status}: ${error ? `${error.exceptionClassPath}: ${error.message}` : "no error recorded"}`,
  );
}
