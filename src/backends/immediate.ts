import { randomBytes } from "node:crypto";
import { TASK_BRAND } from "../brand.ts";
import { BackendClosed, TaskTimeout } from "../errors.ts";
import { cancellationError, isFinished, recordProgress, recordStarted } from "../lifecycle.ts";
import type { Outcome } from "../outcome.ts";
import { type ResultState, TaskResult } from "../result.ts";
import { ResultStore } from "../result-store.ts";
import { makeContext, runTask } from "../run-task.ts";
import type { AnyTask } from "../task.ts";
import { toTaskError } from "../task-error.ts";
import { MAX_TIMER_MS } from "../timers.ts";
import type { BackendParams, CloseOptions } from "./base.ts";
import { InMemoryBackend } from "./in-memory.ts";
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
 * After `close()` it takes no new task, and a task waiting for a retry ends `FAILED` with `BackendClosed`.
 */
export class ImmediateBackend extends InMemoryBackend<Stop> {
  override readonly supportsAsyncTask: boolean = true;
  override readonly supportsPriority: boolean = true;

  /** The worker id every attempt records: random per backend instance, as in Django. */
  readonly workerId: string = randomBytes(16).toString("hex");
  /** The waits before a retry under way, which close() ends. */
  readonly #retryWaits = new Set<Stop>();

  constructor(params: BackendParams) {
    const { maxResults } = readOptions(params.alias, "immediate", params.options, {
      maxResults: positiveInteger(1000),
    });
    super(params, new ResultStore(maxResults));
  }

  override async enqueue(task: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    this.refuseIfClosed(task);
    const state = this.newState(task, args);
    this.admit(state);
    const signal = task.signal;
    if (signal?.aborted) this.finish(state, { ok: false, error: cancellationError(signal.reason) }, Date.now());
    else await this.#run(state);
    return new TaskResult(state);
  }

  /**
   * Takes no new task from now on (`enqueue` raises `BackendClosed`); a task waiting for a retry
   * ends `FAILED` with `BackendClosed` at once, and a running attempt that fails is not retried.
   * A running attempt itself is not interrupted: it runs inside its caller's `enqueue`.
   */
  override close(options?: CloseOptions): Promise<void> {
    void options;
    this.markClosed();
    const error = toTaskError(new BackendClosed(`Backend '${this.alias}' was closed before the task's next attempt`));
    for (const stop of this.#retryWaits) stop.trigger({ ok: false, error });
    return Promise.resolve();
  }

  /** Interrupts the attempt under way (or the wait before a retry); resolves once the result is finished. */
  override async cancelState(state: ResultState, reason: unknown): Promise<boolean> {
    const stop = this.handleOf(state);
    if (isFinished(state)) return false;
    if (stop === undefined) return super.cancelState(state, reason);
    stop.trigger({ ok: false, error: cancellationError(reason) });
    await this.waitForState(state, undefined);
    return true;
  }

  /** Runs attempts until one succeeds, the attempts run out, or the result is cancelled. */
  async #run(state: ResultState): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(state, attempt);
      const delay = this.settle(state, outcome, attempt, Date.now());
      if (delay === null) return;
      const stop = newStop();
      this.setHandle(state, stop);
      this.#retryWaits.add(stop);
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<null>((resolve) => {
        // A longer wait than setTimeout takes is cut to its limit (24.8 days) rather than to 1 ms.
        timer = setTimeout(resolve, Math.min(delay, MAX_TIMER_MS), null);
      });
      const cancelled = await Promise.race([waited, stop.ended]);
      // A cancel or close() ends the wait at once; the timer must not hold Node open after it.
      clearTimeout(timer);
      this.#retryWaits.delete(stop);
      if (cancelled !== null) {
        this.finish(state, cancelled, Date.now());
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
    this.setHandle(state, stop);
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
      this.dropHandle(state);
    }
  }
}
