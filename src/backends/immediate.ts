import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { retryDelay } from "../backoff.ts";
import { TASK_BRAND } from "../brand.ts";
import { TaskTimeout } from "../errors.ts";
import {
  cancellationError,
  isFinished,
  recordEnqueued,
  recordFailed,
  recordProgress,
  recordRetry,
  recordStarted,
  recordSucceeded,
} from "../lifecycle.ts";
import { type ResultState, TaskResult } from "../result.ts";
import { ResultStore } from "../result-store.ts";
import { makeContext, type Outcome, runTask } from "../run-task.ts";
import type { AnyTask } from "../task.ts";
import { toTaskError } from "../task-error.ts";
import { type BackendParams, BaseTaskBackend } from "./base.ts";
import { positiveInteger, readOptions } from "./options.ts";

/**
 * How a cancel reaches the step under way (an attempt, or the wait before the next): `trigger` ends
 * it with the given outcome. It is in place before the attempt starts, so a cancel from a
 * `taskStarted` listener is not lost.
 */
interface Stop {
  outcome: Outcome | null;
  readonly ended: Promise<Outcome>;
  trigger(outcome: Outcome): void;
}

function newStop(): Stop {
  let resolve!: (outcome: Outcome) => void;
  const stop: Stop = {
    outcome: null,
    ended: new Promise<Outcome>((r) => {
      resolve = r;
    }),
    trigger(outcome) {
      if (stop.outcome !== null) return;
      stop.outcome = outcome;
      resolve(outcome);
    },
  };
  return stop;
}

/**
 * Runs each task inside `enqueue`, in this process, and resolves with the finished result
 * (SUCCESSFUL or FAILED, whatever the task threw). Unlike Django's, it keeps results for
 * `getResult`, bounded by `maxResults` (default 1000), and honours `maxAttempts`/`backoff` (the
 * retries happen inside `enqueue`). `timeoutMs` and cancellation stop waiting for an async task
 * (its `context.signal` aborts); synchronous code cannot be interrupted in-process and runs to its end.
 */
export class ImmediateBackend extends BaseTaskBackend {
  override readonly supportsAsyncTask: boolean = true;
  override readonly supportsPriority: boolean = true;
  override readonly supportsGetResult: boolean = true;

  /** The worker id every attempt records: random per backend instance, as in Django. */
  readonly workerId: string = randomBytes(16).toString("hex");
  readonly #store: ResultStore;

  constructor(params: BackendParams) {
    super(params);
    const { maxResults } = readOptions(params.alias, "immediate", params.options, {
      maxResults: positiveInteger(1000),
    });
    this.#store = new ResultStore(maxResults);
  }

  override async enqueue(task: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    const state = this.newState(task, args);
    this.#store.add(state);
    recordEnqueued(state);
    const signal = task.signal;
    const onAbort = () => void this.cancelState(state, signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (signal?.aborted) recordFailed(state, cancellationError(signal.reason), Date.now());
      else await this.#run(state);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      state.handle = null;
      this.#store.finished(state);
    }
    return new TaskResult(state);
  }

  override async getResult(id: string): Promise<TaskResult> {
    const state = this.#store.get(id);
    if (!state) throw this.doesNotExist(id);
    return new TaskResult(state);
  }

  /** Snapshots of the results held for `getResult`, oldest enqueued first: for monitoring (the dashboard). */
  *heldResults(): IterableIterator<TaskResult> {
    for (const state of this.#store.values()) yield new TaskResult(state);
  }

  /** Interrupts the attempt under way (or the wait before a retry); resolves once the result is finished. */
  override async cancelState(state: ResultState, reason: unknown): Promise<boolean> {
    const stop = state.handle as Stop | null;
    if (isFinished(state)) return false;
    if (stop === null) return super.cancelState(state, reason);
    stop.trigger({ ok: false, error: cancellationError(reason) });
    await this.waitForState(state, undefined);
    return true;
  }

  /** Runs attempts until one succeeds, the attempts run out, or the result is cancelled. */
  async #run(state: ResultState): Promise<void> {
    const task = state.task;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(state, attempt);
      if (outcome.ok) {
        recordSucceeded(state, outcome.value, Date.now());
        return;
      }
      const delay = retryDelay(task, outcome.error, attempt);
      if (delay === null) {
        recordFailed(state, outcome.error, Date.now());
        return;
      }
      recordRetry(state, outcome.error);
      const stop = newStop();
      state.handle = stop;
      const cancelled = await Promise.race([sleep(delay).then(() => null), stop.ended]);
      if (cancelled !== null) {
        recordFailed(state, (cancelled as Outcome & { ok: false }).error, Date.now());
        return;
      }
    }
  }

  /**
   * One attempt: the task runs inline. A cancel or the timeout ends the wait for an async task (and
   * aborts its signal); a cancel always wins over what the task itself returns.
   */
  async #attempt(state: ResultState, attempt: number): Promise<Outcome> {
    const task = state.task;
    const stop = newStop();
    state.handle = stop;
    recordStarted(state, this.workerId, Date.now());
    if (stop.outcome !== null) return stop.outcome;
    const controller = new AbortController();
    const context = task.takesContext
      ? makeContext(new TaskResult(state), attempt, (p) => recordProgress(state, p), controller.signal)
      : null;
    const running = runTask(task[TASK_BRAND], state.args, state.id, context);
    if (!(running instanceof Promise)) return stop.outcome ?? running;
    let timer: NodeJS.Timeout | undefined;
    if (task.timeoutMs !== null) {
      const error = toTaskError(new TaskTimeout(`Task exceeded its timeout of ${task.timeoutMs} ms`));
      timer = setTimeout(() => stop.trigger({ ok: false, error }), task.timeoutMs);
    }
    try {
      const ended = await Promise.race([running, stop.ended]);
      // Read again: the await may have let a cancel or the timeout in.
      const stopped = stop.outcome as Outcome | null;
      if (stopped === null) return ended;
      // Stopped by the timeout or a cancel: the task may still be running, so tell it through its signal.
      controller.abort(new Error(stopped.ok ? "stopped" : stopped.error.message));
      return stopped;
    } finally {
      clearTimeout(timer);
      state.handle = null;
    }
  }
}
