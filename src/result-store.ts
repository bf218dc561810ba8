import type { ResultState } from "./result.ts";

/** How a store bounds the bytes of what it keeps: the limit and how a finished result is measured. */
export interface ByteBound {
  readonly maxBytes: number;
  readonly measure: (state: ResultState) => number;
}

/**
 * Results kept by an in-memory backend, bounded by count and optionally by bytes: finished results
 * are evicted first finished, first out, once more than `maxResults` are finished or once the
 * finished ones measure more than `bytes.maxBytes` together (a result that alone measures more is
 * not kept at all, and evicts nothing); unfinished results are never evicted (README, "Failure semantics": a result is never dropped before it finishes).
 * Eviction happens as results finish, so the bounds hold without a timer.
 */
export class ResultStore {
  readonly #byId = new Map<string, ResultState>();
  // Finished ids in finishing order, in a fixed ring of maxResults slots from #head, #count long.
  // (An array with push and a periodic slice() cost a fifth of the parent's time in a flood, most of
  // it in the garbage collector; this allocates nothing.)
  readonly #ring: (string | undefined)[];
  #head = 0;
  #count = 0;
  readonly #bound: ByteBound | null;
  /** The measure of each ring slot's result, when bounded by bytes. */
  readonly #sizes: Float64Array | null;
  #bytes = 0;

  constructor(maxResults: number, bytes: ByteBound | null = null) {
    this.#ring = new Array<string | undefined>(maxResults).fill(undefined);
    this.#bound = bytes;
    this.#sizes = bytes === null ? null : new Float64Array(maxResults);
  }

  add(state: ResultState): void {
    this.#byId.set(state.id, state);
  }

  get(id: string): ResultState | undefined {
    return this.#byId.get(id);
  }

  /** Call once when `state` finishes; evicts the oldest finished results beyond the bounds. */
  finished(state: ResultState): void {
    const bound = this.#bound;
    let size = 0;
    if (bound !== null) {
      size = measure(bound, state);
      if (size > bound.maxBytes) {
        this.#byId.delete(state.id);
        return;
      }
    }
    const capacity = this.#ring.length;
    if (this.#count === capacity) this.#evictOldest();
    const slot = (this.#head + this.#count) % capacity;
    this.#ring[slot] = state.id;
    this.#count++;
    if (bound !== null) {
      this.#sizes![slot] = size;
      this.#bytes += size;
      while (this.#bytes > bound.maxBytes) this.#evictOldest();
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
    this.#ring.fill(undefined);
    this.#sizes?.fill(0);
    this.#head = 0;
    this.#count = 0;
    this.#bytes = 0;
  }

  #evictOldest(): void {
    const head = this.#head;
    // No membership check: an id no longer held (after clear()) just evicts nothing.
    const evicted = this.#ring[head];
    if (evicted !== undefined) this.#byId.delete(evicted);
    this.#ring[head] = undefined;
    if (this.#sizes !== null) this.#bytes -= this.#sizes[head]!;
    this.#head = (head + 1) % this.#ring.length;
    this.#count--;
  }
}

function measure(bound: ByteBound, state: ResultState): number {
  try {
    return bound.measure(state);
  } catch {
    // Too large even to measure (past V8's longest string): certainly over the bound.
    return Number.POSITIVE_INFINITY;
  }
}
