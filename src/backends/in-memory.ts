import { retryDelay } from "../backoff.ts";
import { BackendClosed } from "../errors.ts";
import { recordEnqueued, recordFailed, recordRetry, recordSucceeded } from "../lifecycle.ts";
import type { Outcome } from "../outcome.ts";
import { type ResultState, TaskResult } from "../result.ts";
import type { ResultStore } from "../result-store.ts";
import type { AnyTask } from "../task.ts";
import { type BackendParams, BaseTaskBackend } from "./base.ts";
import { SignalWatch } from "./signal-watch.ts";

/**
 * What the backends that hold their results in this process share (`immediate`, the pools): the
 * result store behind `getResult`, cancelling when a task's `AbortSignal` aborts, the
 * retry-or-finish rule, and letting go of a result's signal, handle and store slot as it finishes.
 * `H` is what the subclass needs to reach a result's step under way (the pool job, the attempt's
 * stop); it lives here, not on the shared `ResultState`, which a persistent backend also uses.
 */
export abstract class InMemoryBackend<H> extends BaseTaskBackend {
  override readonly supportsGetResult: boolean = true;

  readonly #store: ResultStore;
  // A Map, not a WeakMap: finish() drops a result's handle, so it only ever holds unfinished results,
  // which the store keeps anyway, and a WeakMap holding every task of a flood is an ephemeron table
  // the collector walks on each scavenge. `node bench/profile-flood.mjs`, 16 warm rounds each,
  // alternating: 86.6k tasks/s with the Map, 82.4k with the WeakMap (within this machine's noise).
  readonly #handles = new Map<ResultState, H>();
  readonly #signals = new SignalWatch((state, reason) => void this.cancelState(state, reason));
  #closed = false;

  constructor(params: BackendParams, store: ResultStore) {
    super(params);
    this.#store = store;
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

  /** True once `close()` began: no new task is taken, and no failed attempt is retried. */
  protected get closed(): boolean {
    return this.#closed;
  }

  /** For `close()`: returns true the first time, false when it was already closed. */
  protected markClosed(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }

  /** @throws BackendClosed once `close()` began, naming the task that was not enqueued. */
  protected refuseIfClosed(task: AnyTask): void {
    if (this.#closed) {
      throw new BackendClosed(`Backend '${this.alias}' is closed; ${task.modulePath} was not enqueued.`);
    }
  }

  /**
   * Stores a new READY result, announces it, and cancels it when its task's signal aborts (one
   * already aborted is the caller's to fail: it is not watched).
   */
  protected admit(state: ResultState): void {
    this.#store.add(state);
    recordEnqueued(state);
    const signal = state.task.signal;
    if (signal !== null && !signal.aborted) this.#signals.watch(signal, state);
  }

  /** Every result held (finished and unfinished). */
  protected storedStates(): IterableIterator<ResultState> {
    return this.#store.values();
  }

  protected handleOf(state: ResultState): H | undefined {
    return this.#handles.get(state);
  }

  protected setHandle(state: ResultState, handle: H): void {
    this.#handles.set(state, handle);
  }

  protected dropHandle(state: ResultState): void {
    this.#handles.delete(state);
  }

  /**
   * The rule after an attempt, for every in-memory backend: a failure is retried when `retryDelay`
   * allows it and the backend is not closing (recorded as a retry; returns the delay in ms before
   * the next attempt), else the result finishes with the outcome (returns null).
   */
  protected settle(state: ResultState, outcome: Outcome, attempt: number, at: number): number | null {
    if (!outcome.ok) {
      const delay = this.#closed ? null : retryDelay(state.task, outcome.error, attempt);
      if (delay !== null) {
        recordRetry(state, outcome.error);
        return delay;
      }
    }
    this.finish(state, outcome, at);
    return null;
  }

  /** Finishes `state` with `outcome`: its signal and handle are let go, then it is recorded and stored as finished. */
  protected finish(state: ResultState, outcome: Outcome, at: number): void {
    const signal = state.task.signal;
    if (signal !== null) this.#signals.unwatch(signal, state);
    this.#handles.delete(state);
    if (outcome.ok) recordSucceeded(state, outcome.value, at);
    else recordFailed(state, outcome.error, at);
    this.#store.finished(state);
  }
}
