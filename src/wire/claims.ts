/**
 * Who gets a job handed ahead into a worker's buffer: the worker, to start it, or the pool, to take
 * it back (a recall, a cancel). A worker busy with a synchronous task cannot read its pipe, so the
 * pool cannot ask it; instead both sides race for one word of shared memory with a compare-exchange,
 * and exactly one wins. A job the pool took back is never started; a job the worker took is never
 * given to anyone else.
 *
 * Every job handed to a worker carries a worker-local sequence number `seq`; its word is
 * `words[seq % CLAIM_SLOTS]`, holding `tag * 4 + state` where `tag` is `seq` modulo 2^28. The pool
 * reuses a slot only once the job that had it is no longer held, so a word whose tag is older than
 * `seq` means "nobody has claimed this job yet". A thread pool shares the words with its workers
 * directly; a child process keeps them between its main thread and its control thread (see
 * src/worker/control-thread.ts, which carries a copy of `withdraw`).
 */

/** Words per worker: more than a worker ever holds (`MAX_HELD_PER_WORKER`), so a free one is near. */
export const CLAIM_SLOTS = 128;
const TAG_SPAN = 2 ** 28;
const HALF_SPAN = 2 ** 27;

/** The worker took the job to import its module first; the pool may still take it back (a cancel). */
const IMPORTING = 1;
/** The worker started the job. */
const STARTED = 2;
/** The pool took it back. */
const WITHDRAWN = 3;

/** What `withdraw` achieved. */
export const LOST = 0;
/** Taken back before the worker touched it: it never started. */
export const TAKEN = 1;
/** Taken back while its module was being imported: it never started, the import goes on. */
export const TAKEN_IMPORTING = 2;
export type WithdrawResult = typeof LOST | typeof TAKEN | typeof TAKEN_IMPORTING;

/** The shared memory of one worker's claim words. */
export function claimBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(CLAIM_SLOTS * Int32Array.BYTES_PER_ELEMENT);
}

/** True when `word` says nothing about `seq` yet (empty, or about an older job of that slot). */
function unclaimed(word: number, seq: number): boolean {
  if (word === 0) return true;
  const behind = (seq % TAG_SPAN) - (word >>> 2);
  const distance = behind < 0 ? behind + TAG_SPAN : behind;
  return distance > 0 && distance < HALF_SPAN;
}

export class ClaimWords {
  readonly #words: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer);
  }

  /**
   * Worker: takes job `seq` out of its buffer, to start it or (`importing`) to import its module
   * first. False when the pool took it back: the worker drops it without a word.
   */
  take(seq: number, importing: boolean): boolean {
    const words = this.#words;
    const index = seq % CLAIM_SLOTS;
    const mine = (seq % TAG_SPAN) * 4 + (importing ? IMPORTING : STARTED);
    for (;;) {
      const word = Atomics.load(words, index);
      if (!unclaimed(word, seq)) return false;
      if (Atomics.compareExchange(words, index, word, mine) === word) return true;
    }
  }

  /** Worker: the module of job `seq` is imported; false when the pool took the job back meanwhile. */
  start(seq: number): boolean {
    const tag = (seq % TAG_SPAN) * 4;
    return Atomics.compareExchange(this.#words, seq % CLAIM_SLOTS, tag + IMPORTING, tag + STARTED) === tag + IMPORTING;
  }

  /**
   * Pool: takes job `seq` back unless the worker started it. A recall leaves a job being imported
   * to its worker (it is about to run there anyway); a cancel (`evenImporting`) takes it too.
   */
  withdraw(seq: number, evenImporting: boolean): WithdrawResult {
    const words = this.#words;
    const index = seq % CLAIM_SLOTS;
    const tag = (seq % TAG_SPAN) * 4;
    for (;;) {
      const word = Atomics.load(words, index);
      let result: WithdrawResult;
      if (unclaimed(word, seq)) result = TAKEN;
      else if (word === tag + IMPORTING && evenImporting) result = TAKEN_IMPORTING;
      else return LOST;
      if (Atomics.compareExchange(words, index, word, tag + WITHDRAWN) === word) return result;
    }
  }
}
