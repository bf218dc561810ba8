import type { JsonValue } from "../json.ts";
import { runsBefore } from "../priority.ts";
import type { Payload } from "../wire/payload.ts";
import type { WorkerResultMeta } from "../wire/protocol.ts";

/** A job the worker holds: running, or waiting behind the running one. */
export interface BufferedJob {
  readonly key: number;
  readonly ref: number;
  readonly priority: number;
  /** Decoded when the job runs (see `receivedArgs`). */
  readonly args: readonly JsonValue[] | Payload;
  readonly resultId: string;
  readonly attempt: number;
  readonly meta: WorkerResultMeta | null;
  /** Its claim word's sequence number (see claims.ts). */
  readonly seq: number;
}

/**
 * The jobs prefetched into a worker, ordered like the parent's lane queue: priority high to low,
 * then key (enqueue order). It is short (the pool bounds it by time and by a hard cap), and jobs
 * mostly arrive already in order, so an insertion into a sorted array with a moving head is cheapest.
 */
export class JobBuffer {
  #items: (BufferedJob | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  insert(job: BufferedJob): void {
    const items = this.#items;
    const n = items.length;
    if (n === this.#head || !runsBefore(job, items[n - 1]!)) {
      items.push(job);
      return;
    }
    let lo = this.#head;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (runsBefore(job, items[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    items.splice(lo, 0, job);
  }

  /** Removes and returns the job to run next. */
  shift(): BufferedJob | undefined {
    const items = this.#items;
    if (this.#head === items.length) return undefined;
    const job = items[this.#head];
    items[this.#head++] = undefined;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return job;
  }
}
