import type { Cron } from "croner";
import { compileCron } from "./cron.ts";
import type { Schedule } from "./declaration.ts";

/*
 * Slot arithmetic: pure functions of the times they are given, never of the real clock. A slot is
 * identified by its schedule's name and its due time in epoch milliseconds (whole seconds: croner
 * works in seconds, and an interval of at least 1000 ms is counted from the epoch).
 */

/**
 * How late a slot may be found and still count as on time rather than missed: timers fire late on a
 * busy event loop, and a database worker finds slots when it polls. Quartz's misfire threshold.
 */
export const ON_TIME_MS = 60_000;

/** The most slots `dueSlots` returns at once; the runner asks again until there are no more. */
export const MAX_SLOTS_PER_CALL = 1000;

const compiled = new WeakMap<Schedule, Cron>();

function cronOf(schedule: Schedule): Cron {
  let cron = compiled.get(schedule);
  if (cron === undefined) {
    cron = compileCron(schedule.cron as string, schedule.timeZone ?? "UTC");
    compiled.set(schedule, cron);
  }
  return cron;
}

/** The first slot strictly after `after` (epoch ms), or null when the schedule never fires again. */
export function nextSlot(schedule: Schedule, after: number): number | null {
  const every = schedule.every;
  if (every !== null) return Math.floor(after / every) * every + every;
  // croner drops the milliseconds of `after`; slots are whole seconds, so "after" stays strict.
  return cronOf(schedule).nextRun(new Date(after))?.getTime() ?? null;
}

/** The last slot at or before `at` (epoch ms), or null when there is none. */
export function latestSlot(schedule: Schedule, at: number): number | null {
  const every = schedule.every;
  if (every !== null) return Math.floor(at / every) * every;
  // previousRuns is strictly before its reference, except that a run earlier in the reference's own
  // second counts: one millisecond later makes it "at or before" (checked against nextRun across
  // DST changes in test/schedules/slots.test.ts).
  return (
    cronOf(schedule)
      .previousRuns(1, new Date(at + 1))[0]
      ?.getTime() ?? null
  );
}

/** The slots `s` with `from < s <= to`, oldest first, at most `limit` of them. */
export function slotsBetween(schedule: Schedule, from: number, to: number, limit: number): number[] {
  const out: number[] = [];
  for (let s = nextSlot(schedule, from); s !== null && s <= to && out.length < limit; s = nextSlot(schedule, s)) {
    out.push(s);
  }
  return out;
}

/** Options of `dueSlots`. */
export interface DueOptions {
  /**
   * A slot found at most this late is on time, not missed.
   * @defaultValue `ON_TIME_MS` (60 s)
   */
  readonly onTimeMs?: number;
  /**
   * At most this many slots (the oldest); ask again after enqueueing them.
   * @defaultValue `MAX_SLOTS_PER_CALL` (1000)
   */
  readonly limit?: number;
}

/**
 * The slots to enqueue now, oldest first: those due in `(since, now]`, after the schedule's missed
 * policy. `since` is the last slot enqueued, or, when none is known, the time evaluation began
 * (slots before it are not this evaluator's to judge).
 *
 * - `"latest"`: the latest due slot, however late (earlier ones are dropped);
 * - `"skip"`: the latest due slot if it is on time, else none;
 * - `{ all: true, within }`: every due slot at most `within` old (or on time, if `within` is
 *   shorter than that).
 */
export function dueSlots(schedule: Schedule, since: number, now: number, options: DueOptions = {}): number[] {
  const onTimeMs = options.onTimeMs ?? ON_TIME_MS;
  const latest = latestSlot(schedule, now);
  if (latest === null || latest <= since) return [];
  const missed = schedule.missed;
  if (missed === "latest") return [latest];
  if (missed === "skip") return now - latest <= onTimeMs ? [latest] : [];
  const oldest = now - Math.max(missed.within, onTimeMs);
  return slotsBetween(schedule, Math.max(since, oldest - 1), now, options.limit ?? MAX_SLOTS_PER_CALL);
}
