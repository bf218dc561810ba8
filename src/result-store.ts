import type { ResultState } from "./result.ts";

/**
 * Results kept by an in-memory backend, bounded by count: finished results are evicted first
 * finished, first out, once more than `maxResults` are finished; unfinished results are never
 * evicted (semantics.md §6). Eviction happens as results finish, so the bound holds without a timer.
 */
export class ResultStore {
  readonly #byId = new Map<string, ResultState>();
  // Finished ids in finishing order, in a fixed ring of maxResults slots: once it is full, the slot
  // a new id takes holds the one to evict. (An array with push and a periodic slice() cost a fifth
  // of the parent's time in a flood, most of it in the garbage collector; this allocates nothing.)
  readonly #ring: (string | undefined)[];
  #next = 0;

  constructor(maxResults: number) {
    this.#ring = new Array<string | undefined>(maxResults).fill(undefined);
  }

  add(state: ResultState): void {
    this.#byId.set(state.id, state);
  }

  get(id: string): ResultState | undefined {
    return this.#byId.get(id);
  }

  /** Call once when `state` finishes; evicts the oldest finished result beyond the bound. */
  finished(state: ResultState): void {
    // No membership check: an id no longer held (after clear()) just evicts nothing later.
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#byId.delete(evicted);
    this.#ring[this.#next] = state.id;
    this.#next = (this.#next + 1) % this.#ring.length;
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
    this.#ring.fill(undefined);
    this.#next = 0;
  }
}
