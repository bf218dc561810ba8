import { MAX_PRIORITY, MIN_PRIORITY } from "../priority.ts";
import { Deque } from "./deque.ts";

/** What the queue needs to know about an item. */
export interface Prioritized {
  readonly priority: number;
}

/**
 * A priority queue for a small integer range: one FIFO bucket per priority (201 of them). Push and
 * pop are O(1) apart from a short downward scan for the next non-empty bucket, and equal priorities
 * come out in arrival order without any tie-breaking key, which a binary heap cannot promise cheaply.
 */
export class BucketQueue<T extends Prioritized> {
  readonly #buckets: Deque<T>[] = [];
  #size = 0;
  /** No bucket above this index holds anything. */
  #top = -1;

  constructor() {
    for (let p = MIN_PRIORITY; p <= MAX_PRIORITY; p++) this.#buckets.push(new Deque<T>());
  }

  get size(): number {
    return this.#size;
  }

  /** Adds at the back of its priority. */
  push(item: T): void {
    const index = item.priority - MIN_PRIORITY;
    this.#bucket(index).push(item);
    this.#size++;
    if (index > this.#top) this.#top = index;
  }

  /** Adds at the front of its priority: for jobs handed back by a worker that died. */
  unshift(item: T): void {
    const index = item.priority - MIN_PRIORITY;
    this.#bucket(index).unshift(item);
    this.#size++;
    if (index > this.#top) this.#top = index;
  }

  /** Removes the highest-priority, earliest-pushed item. */
  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    for (let i = this.#top; i >= 0; i--) {
      const bucket = this.#buckets[i]!;
      if (bucket.size > 0) {
        this.#top = i;
        this.#size--;
        return bucket.shift();
      }
    }
    return undefined;
  }

  /** Removes and returns everything, highest priority first. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.pop(); item !== undefined; item = this.pop()) out.push(item);
    this.#top = -1;
    return out;
  }

  #bucket(index: number): Deque<T> {
    const bucket = this.#buckets[index];
    if (bucket === undefined) throw new RangeError(`priority must be an integer in ${MIN_PRIORITY}..${MAX_PRIORITY}`);
    return bucket;
  }
}
