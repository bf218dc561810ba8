/**
 * A pool plus a recording listener for the engine tests: every event is kept in order, each job gets
 * promises for its start and its finish, and `close()` checks that every submitted job finished
 * exactly once.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, vi } from "vitest";
import { TaskCancelled } from "../../src/errors.ts";
import type { Outcome } from "../../src/outcome.ts";
import { WorkerPool } from "../../src/pool/pool.ts";
import type { PoolJob, PoolOptions } from "../../src/pool/types.ts";
import type { TaskProgress } from "../../src/progress.ts";
import { type TaskError, toTaskError } from "../../src/task-error.ts";
import type { WorkerResultMeta } from "../../src/wire/protocol.ts";

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
  timeoutMs?: number | null;
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

  constructor(
    runtime: RuntimeKind,
    lanes: PoolOptions["lanes"] = { default: { maxWorkers: 1 } },
    extra: Partial<Pick<PoolOptions, "execArgv" | "recycle" | "importTimeoutMs">> = {},
  ) {
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
    if (extra.execArgv !== undefined) options.execArgv = extra.execArgv;
    if (extra.recycle !== undefined) options.recycle = extra.recycle;
    if (extra.importTimeoutMs !== undefined) options.importTimeoutMs = extra.importTimeoutMs;
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
      // Every job carries context metadata, as a backend sends it for a context task (the engine
      // fails a context task sent without): a job of a plain task just ignores it.
      contextMeta:
        options.contextMeta === undefined
          ? { id: `result-${key}`, backend: "test", enqueuedAt: 0, startedAt: null, workerIds: [], errors: [] }
          : options.contextMeta,
      timeoutMs: options.timeoutMs ?? null,
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

  /** Cancels a job with a `TaskCancelled` error of this message; returns what `pool.cancel` said and the error. */
  cancel(
    handle: Handle,
    message = "cancelled by the test",
    graceMs = 10_000,
  ): { cancelled: boolean; error: TaskError } {
    const error = toTaskError(new TaskCancelled(message));
    return { cancelled: this.pool.cancel(handle.job.key, error, graceMs), error };
  }

  /** How many times onFinish was called for this job so far. */
  finishCount(handle: Handle): number {
    return this.#finishCount.get(handle.job.key) ?? 0;
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

/** One timer the engine armed: where from, for how long, and whether it fired. */
export interface EngineTimer {
  readonly file: string;
  readonly delay: number;
  fired: boolean;
}

/**
 * Records the timers armed by the engine's own files (src/pool/), by spying on `setTimeout` and
 * reading the caller off the stack. Call `restore()` when done.
 */
export function spyOnEngineTimers(): { timers: EngineTimer[]; restore: () => void } {
  const timers: EngineTimer[] = [];
  const real = globalThis.setTimeout;
  const spy = vi.spyOn(globalThis, "setTimeout").mockImplementation(((
    callback: (...args: unknown[]) => void,
    delay?: number,
    ...args: unknown[]
  ) => {
    const caller = (new Error().stack ?? "")
      .split("\n")
      .slice(2)
      .find((line) => line.includes("/src/pool/"));
    if (caller === undefined) return real(callback, delay, ...args);
    const timer: EngineTimer = {
      file: /\/src\/pool\/([\w/-]+\.ts)/.exec(caller)?.[1] ?? caller,
      delay: delay ?? 0,
      fired: false,
    };
    timers.push(timer);
    return real(
      (...a: unknown[]) => {
        timer.fired = true;
        callback(...a);
      },
      delay,
      ...args,
    );
  }) as typeof setTimeout);
  return { timers, restore: () => spy.mockRestore() };
}
