import type { ResultState } from "./result.ts";

/**
 * Results kept by an in-memory backend, bounded by count: finished results are evicted first
 * finished, first out, once more than `maxResults` are finished; unfinished results are never
 * evicted (semantics.md §6). Eviction happens as results finish, so the bound holds without a timer.
 */
export class ResultStore {
  readonly #byId = new Map<string, ResultState>();
  // Finished ids in finishing order: an array with a moving head, compacted now and then, because
  // Array.shift() is O(n) and this runs once per task.
  #finished: string[] = [];
  #head = 0;
  readonly #maxResults: number;

  constructor(maxResults: number) {
    this.#maxResults = maxResults;
  }

  add(state: ResultState): void {
    this.#byId.set(state.id, state);
  }

  get(id: string): ResultState | undefined {
    return this.#byId.get(id);
  }

  /** Call once when `state` finishes; evicts the oldest finished results beyond the bound. */
  finished(state: ResultState): void {
    if (!this.#byId.has(state.id)) return;
    this.#finished.push(state.id);
    while (this.#finished.length - this.#head > this.#maxResults) {
      const evicted = this.#finished[this.#head++] as string;
      this.#byId.delete(evicted);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#finished.length) {
      this.#finished = this.#finished.slice(this.#head);
      this.#head = 0;
    }
  }

  /** How many results are held (finished and unfinished). */
  get size(): number {
    return this.#byId.size;
  }

  values(): IterableIterator<ResultState> {
    return this.#byId.values();
  }

  clear(): void {
    this.#byId.clear();
    this.#finished = [];
    this.#head = 0;
  }
}
