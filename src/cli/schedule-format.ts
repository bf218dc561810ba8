import type { Schedule } from "../schedules/declaration.ts";
import { formatDuration } from "../schedules/duration.ts";

/** `2026-03-29 03:00:00 +02:00`: the wall-clock time of `ms` in `timeZone`, with its offset. */
export function localTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "longOffset",
  }).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  // longOffset reads "GMT+02:00", or a bare "GMT" for a zero offset.
  const offset = part("timeZoneName").replace(/^GMT$/, "GMT+00:00").slice(3);
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")} ${offset}`;
}

/** `cron 0 2 * * * in Europe/Berlin`, or `every 15m`. */
export function describeTiming(schedule: Pick<Schedule, "cron" | "every" | "timeZone">): string {
  if (schedule.every !== null) return `every ${formatDuration(schedule.every)}`;
  return `cron ${schedule.cron} in ${schedule.timeZone}`;
}

/** The missed policy as configured: `latest`, `skip`, `all within 6h`. */
export function describeMissed(missed: Schedule["missed"]): string {
  return typeof missed === "string" ? missed : `all within ${formatDuration(missed.within)}`;
}
