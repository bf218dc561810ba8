/**
 * setTimeout's largest delay (2^31-1 ms, about 24.8 days): a longer one fires at once. Every duration
 * that arms a timer is refused above it, so no timeout silently turns into "now"; a timer for a later
 * moment is armed for this long and re-armed when it fires.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A whole number of milliseconds in `min`..2^31-1, the range every timeout and grace option takes. */
export function isTimerMs(v: unknown, min: number): v is number {
  return Number.isInteger(v) && (v as number) >= min && (v as number) <= MAX_TIMER_MS;
}
