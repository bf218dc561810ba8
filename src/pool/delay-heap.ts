/** What the heap needs to know about an item. */
export interface Delayed {
  readonly key: number;
  readonly runAfter: number | null;
}

/**
 * A binary min-heap on (runAfter, key): the jobs that are not eligible yet. The pool keeps one timer
 * for the root only, so a million delayed jobs cost one timer, not a million.
 */
export class DelayHeap<T extends Delayed> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** The earliest item, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(items[right]!, items[left]!) ? right : left;
      if (!before(items[child]!, last)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Removes and returns everything (in no particular order). */
  drain(): T[] {
    return this.#items.splice(0);
  }
}

function before(a: Delayed, b: Delayed): boolean {
  const ta = a.runAfter ?? 0;
  const tb = b.runAfter ?? 0;
  return ta < tb || (ta === tb && a.key < b.key);
}
