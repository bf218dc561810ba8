import type { Clock, TimerHandle } from "./clock.ts";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => unknown;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to, for tests: `advance(ms)` fires the timers that come due on
 * the way, in order of due time, with `now()` reading their due time while they run. Timers due at
 * the same instant fire together (in the order they were set), as they would race in a real
 * process, and the clock waits for every promise they return before it moves on.
 *
 * ```ts
 * const clock = new ManualClock("2026-03-28T23:00:00Z");
 * const runner = startSchedules({ clock });
 * await clock.advanceTo("2026-03-29T02:00:00Z"); // every slot up to then has been enqueued
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];
  #advancing = false;

  /** @param start - the initial time: epoch ms, a Date, or an ISO string. */
  constructor(start: number | Date | string) {
    this.#now = toMs(start, "start");
  }

  now(): number {
    return this.#now;
  }

  setTimer(delayMs: number, fn: () => unknown): TimerHandle {
    const timer: Timer = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing the timers due on the way (see the class comment). */
  advance(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`advance(): ms must be a number >= 0 (got ${ms})`);
    return this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `time` (epoch ms, a Date or an ISO string), firing timers on the way. */
  async advanceTo(time: number | Date | string): Promise<void> {
    const target = toMs(time, "advanceTo()");
    if (target < this.#now) {
      throw new RangeError(
        `advanceTo(): ${new Date(target).toISOString()} is before now (${new Date(this.#now).toISOString()})`,
      );
    }
    if (this.#advancing) throw new Error("ManualClock: advance() was called while another advance() runs.");
    this.#advancing = true;
    try {
      for (let due = this.#takeDue(target); due.length > 0; due = this.#takeDue(target)) {
        this.#now = (due[0] as Timer).at;
        await Promise.all(due.map((t) => t.fn()));
      }
      this.#now = target;
    } finally {
      this.#advancing = false;
    }
  }

  /** The timers due first (all those sharing the earliest due time up to `target`), removed. */
  #takeDue(target: number): Timer[] {
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    let first = Number.POSITIVE_INFINITY;
    for (const t of this.#timers) if (t.at < first) first = t.at;
    if (first > target) return [];
    const due = this.#timers.filter((t) => t.at === first).sort((a, b) => a.seq - b.seq);
    this.#timers = this.#timers.filter((t) => t.at !== first);
    return due;
  }
}

function toMs(time: number | Date | string, what: string): number {
  const ms = typeof time === "number" ? time : typeof time === "string" ? Date.parse(time) : time.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`${what}: ${String(time)} is not a valid time`);
  return ms;
}
