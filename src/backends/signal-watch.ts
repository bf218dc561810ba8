import { onAbort } from "../abort.ts";
import type { ResultState } from "../result.ts";

/** The results waiting on one signal, and how to stop listening to it. */
interface Watched {
  readonly states: Set<ResultState>;
  readonly stop: () => void;
}

/**
 * Cancels results when their task's `AbortSignal` aborts, with one "abort" listener per signal
 * however many results share it (one per result would trip Node's MaxListenersExceededWarning at
 * eleven, and cost a closure each). A signal's listener goes once no result needs it.
 */
export class SignalWatch {
  readonly #watched = new Map<AbortSignal, Watched>();
  readonly #cancel: (state: ResultState, reason: unknown) => void;

  /** @param cancel - called for every watched result when its signal aborts. */
  constructor(cancel: (state: ResultState, reason: unknown) => void) {
    this.#cancel = cancel;
  }

  /** Cancels `state` when `signal` aborts, until `unwatch`. The signal must not have aborted yet. */
  watch(signal: AbortSignal, state: ResultState): void {
    let watched = this.#watched.get(signal);
    if (watched === undefined) {
      watched = { states: new Set(), stop: onAbort(signal, (reason) => this.#aborted(signal, reason)) };
      this.#watched.set(signal, watched);
    }
    watched.states.add(state);
  }

  /** Stops watching `state` (it finished); a no-op when it is not watched. */
  unwatch(signal: AbortSignal, state: ResultState): void {
    const watched = this.#watched.get(signal);
    if (watched === undefined || !watched.states.delete(state) || watched.states.size > 0) return;
    this.#watched.delete(signal);
    watched.stop();
  }

  #aborted(signal: AbortSignal, reason: unknown): void {
    const watched = this.#watched.get(signal);
    this.#watched.delete(signal);
    if (watched === undefined) return;
    for (const state of watched.states) this.#cancel(state, reason);
  }
}
