import { Cron } from "croner";

/**
 * A cron expression compiled by croner: five fields (minute hour day-of-month month day-of-week),
 * or six with seconds first, or a nickname (`@daily`, `@hourly`…). Seven fields (years) are
 * refused, because the issue promises five fields with optional seconds and nothing more.
 *
 * croner's DST rules, which tasklane keeps (they are croner-rust's and Vixie cron's too):
 * - a job whose second, minute and hour fields are single values (`30 2 * * *`) is a fixed-time
 *   job: on the spring-forward day it runs once, at the first valid time after the gap (03:00 in
 *   Berlin); a time that occurs twice on the fall-back day runs once, at its first occurrence;
 * - any other job is an interval job (`0,30 2 * * *`, `0 * * * *`, a step): wall-clock times inside
 *   the gap are skipped, and a repeated time runs on both of its occurrences.
 * @throws Error (croner's) when the expression is not valid.
 */
export function compileCron(expression: string, timeZone: string): Cron {
  // No callback: croner then only computes dates and never starts a timer of its own. UTC as an
  // offset: the same dates, a tenth of the time (a named zone goes through Intl on every step).
  const zone = isUtc(timeZone) ? { utcOffset: 0 } : { timezone: timeZone };
  return new Cron(expression, { ...zone, mode: "5-or-6-parts" });
}

function isUtc(timeZone: string): boolean {
  const resolved = new Intl.DateTimeFormat("en-US", { timeZone }).resolvedOptions().timeZone;
  return resolved === "UTC" || resolved === "Etc/UTC";
}

/**
 * Whether `timeZone` is an IANA time zone this Node knows. Checked here because croner accepts any
 * string at construction and only fails when it first computes a date.
 */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}
