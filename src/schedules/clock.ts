/**
 * Time as schedules see it. The scheduling core never reads the real clock: a runner is given one,
 * so tests drive it with a `ManualClock` instead of sleeping through real minutes.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Calls `fn` once, `delayMs` from now. The timer must not keep the process alive. When `fn`
   * returns a promise, a clock may wait for it (a `ManualClock` does, so a test can await the
   * work a tick started).
   */
  setTimer(delayMs: number, fn: () => unknown): TimerHandle;
}

/** A timer set by `Clock.setTimer`. */
export interface TimerHandle {
  /** Stops it from firing; no effect once it fired. */
  cancel(): void;
}

/** The real clock: `Date.now()` and unref'd `setTimeout`, so a schedule never keeps Node running. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
