import type { ResultState } from "../result.ts";

/**
 * Cancels results when their task's `AbortSignal` aborts, with one "abort" listener per signal
 * however many results share it (one per result would trip Node's MaxListenersExceededWarning at
 * eleven, and cost a closure each). A signal's listener goes once no result needs it.
 */
export class SignalWatch {
  readonly #watched = new Map<AbortSignal, Set<ResultState>>();
  readonly #cancel: (state: ResultState, reason: unknown) => void;

  /** @param cancel - called for every watched result when its signal aborts. */
  constructor(cancel: (state: ResultState, reason: unknown) => void) {
    this.#cancel = cancel;
  }

  /** Cancels `state` when `signal` aborts, until `unwatch`. The signal must not have aborted yet. */
  watch(signal: AbortSignal, state: ResultState): void {
    let states = this.#watched.get(signal);
    if (states === undefined) {
      states = new Set();
      this.#watched.set(signal, states);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    states.add(state);
  }

  /** Stops watching `state` (it finished); a no-op when it is not watched. */
  unwatch(signal: AbortSignal, state: ResultState): void {
    const states = this.#watched.get(signal);
    if (states === undefined || !states.delete(state) || states.size > 0) return;
    this.#watched.delete(signal);
    signal.removeEventListener("abort", this.#onAbort);
  }

  readonly #onAbort = (event: Event): void => {
    const signal = event.target as AbortSignal;
    const states = this.#watched.get(signal);
    this.#watched.delete(signal);
    if (states === undefined) return;
    for (const state of states) this.#cancel(state, signal.reason);
  };
}
