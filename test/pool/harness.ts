/**
 * A pool plus a recording listener for the engine tests: every event is kept in order, each job gets
 * promises for its start and its finish, and `close()` checks that every submitted job finished
 * exactly once.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "vitest";
import { WorkerPool } from "../../src/pool/pool.ts";
import type { PoolJob, PoolOptions } from "../../src/pool/types.ts";
import type { TaskProgress } from "../../src/progress.ts";
import type { Outcome, WorkerResultMeta } from "../../src/run-task.ts";

export type RuntimeKind = "process" | "thread";

export const TASKS = new URL("../fixtures/pool/tasks.ts", import.meta.url).href;
export const PLAIN = new URL("../fixtures/pool/plain.mjs", import.meta.url).href;

export type PoolEvent =
  | { type: "start"; key: number; lane: string; workerId: string; at: number; receivedAt: number }
  | { type: "progress"; key: number; progress: TaskProgress }
  | { type: "finish"; key: number; lane: string; outcome: Outcome; at: number };

export interface Started {
  workerId: string;
  at: number;
  receivedAt: number;
}

export interface Finished {
  outcome: Outcome;
  at: number;
}

export interface Handle {
  readonly job: PoolJob;
  readonly started: Promise<Started>;
  readonly finished: Promise<Finished>;
}

export interface SubmitOptions {
  module?: string;
  priority?: number;
  lane?: string;
  runAfter?: number | null;
  contextMeta?: WorkerResultMeta | null;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export class Harness {
  readonly pool: WorkerPool;
  readonly events: PoolEvent[] = [];
  readonly #starts = new Map<number, (s: Started) => void>();
  readonly #finishes = new Map<number, (f: Finished) => void>();
  readonly #finishCount = new Map<number, number>();
  #key = 0;

  constructor(runtime: RuntimeKind, lanes: PoolOptions["lanes"] = { default: { maxWorkers: 1 } }, execArgv?: string[]) {
    const options: PoolOptions = {
      runtime,
      lanes,
      listener: {
        onStart: (job, workerId, at) => {
          const receivedAt = Date.now();
          this.events.push({ type: "start", key: job.key, lane: job.lane, workerId, at, receivedAt });
          this.#starts.get(job.key)?.({ workerId, at, receivedAt });
        },
        onProgress: (job, progress) => {
          this.events.push({ type: "progress", key: job.key, progress });
        },
        onFinish: (job, outcome, at) => {
          this.events.push({ type: "finish", key: job.key, lane: job.lane, outcome, at });
          this.#finishCount.set(job.key, (this.#finishCount.get(job.key) ?? 0) + 1);
          this.#finishes.get(job.key)?.({ outcome, at });
        },
      },
    };
    if (execArgv !== undefined) options.execArgv = execArgv;
    this.pool = new WorkerPool(options);
  }

  submit(exportName: string, args: PoolJob["args"] = [], options: SubmitOptions = {}): Handle {
    const key = this.#key + 1;
    const job: PoolJob = {
      key,
      moduleUrl: options.module ?? TASKS,
      exportName,
      args,
      priority: options.priority ?? 0,
      lane: options.lane ?? "default",
      runAfter: options.runAfter ?? null,
      resultId: `result-${key}`,
      attempt: 1,
      contextMeta: options.contextMeta ?? null,
    };
    const started = deferred<Started>();
    const finished = deferred<Finished>();
    this.#starts.set(key, started.resolve);
    this.#finishes.set(key, finished.resolve);
    this.pool.submit(job);
    this.#key = key; // only once accepted: close() checks every key up to it
    return { job, started: started.promise, finished: finished.promise };
  }

  /** Submits and waits for the outcome. */
  async run(exportName: string, args: PoolJob["args"] = [], options: SubmitOptions = {}): Promise<Outcome> {
    return (await this.submit(exportName, args, options).finished).outcome;
  }

  startOrder(): number[] {
    return this.events.flatMap((e) => (e.type === "start" ? [e.key] : []));
  }

  /** Closes the pool and checks the exactly-once rule for every job submitted. */
  async close(timeoutMs?: number): Promise<void> {
    await this.pool.close(timeoutMs === undefined ? {} : { timeoutMs });
    for (let key = 1; key <= this.#key; key++)
      expect(this.#finishCount.get(key), `onFinish calls for job ${key}`).toBe(1);
    expect(this.pool.pending).toBe(0);
    expect(this.pool.workerInfo()).toEqual([]);
  }
}

/** The error of a failed outcome (fails the test on success). */
export function errorOf(outcome: Outcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

/** A temporary directory with a "release" file path that blocking fixtures wait for. */
export class Gate {
  readonly dir = mkdtempSync(join(tmpdir(), "tasklane-pool-"));
  #n = 0;

  /** A fresh path that does not exist yet. */
  path(): string {
    return join(this.dir, `gate-${++this.#n}`);
  }

  open(path: string): void {
    writeFileSync(path, "");
  }

  /** Writes a module file into the directory and returns its URL. */
  module(name: string, source: string): string {
    const file = join(this.dir, name);
    writeFileSync(file, source);
    return pathToFileURL(file).href;
  }

  read(name: string): string {
    return readFileSync(join(this.dir, name), "utf8");
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether a process exists and is not a zombie (an orphan's zombie waits for a reaper we do not control). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls `test` until it holds or `timeoutMs` passes (then fails with `what`). */
export async function waitUntil(test: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
