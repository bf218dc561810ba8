import { readTaskBrand } from "../brand.ts";
import { InvalidSchedule } from "../errors.ts";
import { type JsonValue, normalizeJson } from "../json.ts";
import { MAX_PRIORITY, MIN_PRIORITY } from "../priority.ts";
import type { AnyTask } from "../task.ts";
import { compileCron, isTimeZone } from "./cron.ts";
import { type DurationString, parseDuration } from "./duration.ts";

/**
 * What happens to slots that came due while nothing evaluated the schedule (every process down, a
 * suspended machine, a long event-loop stall):
 * - `"latest"`: the most recent missed slot runs once; earlier ones are dropped.
 * - `"skip"`: missed slots are dropped; a slot runs only when found on time (less than a minute late).
 * - `{ all: true, within }`: every missed slot due within `within` (ms or `"6h"`) before now runs,
 *   oldest first; older ones are dropped.
 */
export type MissedPolicy = "latest" | "skip" | { readonly all: true; readonly within: number | DurationString };

/** The options of `schedule(name, task, options)`: exactly one of `cron` and `every`. */
export interface ScheduleOptions {
  /**
   * Five fields (`minute hour day-of-month month day-of-week`), or six with seconds first, or a
   * nickname (`@daily`, `@hourly`, `@weekly`…), read in `timeZone`.
   */
  cron?: string | null;
  /**
   * An interval instead of a cron expression: milliseconds (at least 1000), or a duration string
   * (`"90s"`, `"15m"`, `"1h30m"`, `"1d"`). Its slots are the multiples of the interval since
   * 1970-01-01T00:00:00Z, so every process computes the same ones (`"1h"` fires on the hour, UTC).
   */
  every?: number | DurationString | null;
  /**
   * The task's arguments, JSON.
   * @defaultValue `[]`
   */
  args?: readonly JsonValue[];
  /**
   * The IANA time zone the cron expression is read in (`"Europe/Berlin"`); cron only.
   * @defaultValue `"UTC"` (not the machine's zone: workers on several machines must agree on the slots)
   */
  timeZone?: string | null;
  /**
   * What happens to slots missed while nothing evaluated the schedule (see `MissedPolicy`).
   * @defaultValue `"latest"`
   */
  missed?: MissedPolicy;
  /**
   * The priority each slot's task is enqueued with.
   * @defaultValue the task's own
   */
  priority?: number | null;
  /**
   * The queue each slot's task is enqueued on; must be one of the backend's queues.
   * @defaultValue the task's own
   */
  queueName?: string | null;
}

/** A schedule as configured: `schedules: [...]` on a backend's configuration entry. */
export interface ScheduleDeclaration extends ScheduleOptions {
  /** Stable and unique in the configuration: a slot is identified by this name and its due time. */
  name: string;
  /** The task. In a configuration file read by the CLI, a module path `"./tasks.ts#report"`, relative to the file. */
  task: AnyTask | string;
}

/** A checked, normalised schedule; itself a valid declaration. */
export interface Schedule {
  readonly name: string;
  readonly task: AnyTask;
  readonly args: readonly JsonValue[];
  readonly cron: string | null;
  /** Milliseconds, when the schedule is an interval. */
  readonly every: number | null;
  /** The cron expression's zone (`"UTC"` unless given); null for an interval. */
  readonly timeZone: string | null;
  readonly missed: "latest" | "skip" | { readonly all: true; readonly within: number };
  /** null: the task's own. */
  readonly priority: number | null;
  /** null: the task's own. */
  readonly queueName: string | null;
}

/** Longest schedule name: it is part of a database key. */
export const MAX_SCHEDULE_NAME_LENGTH = 128;
const MIN_EVERY_MS = 1000;
const declarationKeys = new Set([
  "name",
  "task",
  "cron",
  "every",
  "args",
  "timeZone",
  "missed",
  "priority",
  "queueName",
]);

/**
 * Declares a schedule: `task` enqueued with `args` at each slot of `cron` (or `every`). Checked at
 * once; list the result under `schedules` of a backend's configuration entry.
 *
 * ```ts
 * configure({
 *   default: {
 *     backend: "process-pool",
 *     schedules: [schedule("nightly-report", report, { cron: "0 2 * * *", timeZone: "Europe/Berlin", args: ["daily"] })],
 *   },
 * });
 * ```
 * @throws InvalidSchedule naming the schedule and the field.
 */
export function schedule(name: string, task: AnyTask, options: ScheduleOptions): Schedule {
  if (typeof options !== "object" || options === null) {
    throw new InvalidSchedule(`Schedule '${String(name)}': options must be an object { cron | every, args?, … }.`);
  }
  return checkSchedule({ ...options, name, task });
}

/**
 * Checks one declaration and returns it normalised (durations in ms, defaults filled in).
 * @param where - where the declaration is, for messages: ` of backend 'default'`.
 * @throws InvalidSchedule naming the schedule and the field.
 */
export function checkSchedule(declaration: unknown, where = ""): Schedule {
  if (typeof declaration !== "object" || declaration === null || Array.isArray(declaration)) {
    throw new InvalidSchedule(
      `A schedule${where} must be an object { name, task, cron | every, … }, not ${kind(declaration)}.`,
    );
  }
  const d = declaration as Record<string, unknown>;
  const name = d.name;
  if (typeof name !== "string" || name === "" || name.length > MAX_SCHEDULE_NAME_LENGTH) {
    throw new InvalidSchedule(
      `A schedule${where} needs a name: a non-empty string of at most ${MAX_SCHEDULE_NAME_LENGTH} characters ` +
        `(got ${kind(name)}).`,
    );
  }
  const fail = (problem: string): never => {
    throw new InvalidSchedule(`Schedule '${name}'${where}: ${problem}`);
  };
  for (const key of Object.keys(d)) {
    if (!declarationKeys.has(key)) fail(`unknown key '${key}'; expected one of ${[...declarationKeys].join(", ")}.`);
  }
  const task = checkTask(d.task, fail);
  const timing = checkTiming(d, fail);
  const out: Schedule = {
    name,
    task,
    args: checkArgs(d.args, fail),
    ...timing,
    missed: checkMissed(d.missed, fail),
    priority: checkPriority(d.priority, fail),
    queueName: checkQueueName(d.queueName, fail),
  };
  return Object.freeze(out);
}

function checkTask(task: unknown, fail: (problem: string) => never): AnyTask {
  if (readTaskBrand(task) !== undefined) return task as AnyTask;
  if (typeof task === "string") {
    return fail(
      `task '${task}' is a module path; configure() takes the task itself (module paths are resolved ` +
        `in configuration files the CLI reads).`,
    );
  }
  return fail(`task must be a task defined with task(import.meta, fn) (got ${kind(task)}).`);
}

function checkTiming(d: Record<string, unknown>, fail: (problem: string) => never) {
  const hasCron = given(d.cron);
  const hasEvery = given(d.every);
  if (hasCron === hasEvery) {
    fail(hasCron ? "give either cron or every, not both." : "needs a cron expression (cron) or an interval (every).");
  }
  if (hasEvery) {
    if (given(d.timeZone)) {
      fail("timeZone applies to cron schedules only; an every interval counts real time from 1970-01-01T00:00:00Z.");
    }
    const ms = parseDuration(d.every);
    if (typeof ms !== "number") return fail(`every ${ms.problem}.`);
    if (ms < MIN_EVERY_MS) fail(`every must be at least ${MIN_EVERY_MS} ms (got ${ms} ms).`);
    return { cron: null, every: ms, timeZone: null };
  }
  const cron = d.cron;
  if (typeof cron !== "string") return fail(`cron must be a string such as '0 2 * * *' (got ${kind(cron)}).`);
  const timeZone = d.timeZone ?? "UTC";
  if (typeof timeZone !== "string" || !isTimeZone(timeZone)) {
    fail(
      `timeZone ${JSON.stringify(timeZone)} is not an IANA time zone this Node knows (e.g. 'Europe/Berlin', 'UTC').`,
    );
  }
  let compiled: ReturnType<typeof compileCron>;
  try {
    compiled = compileCron(cron, timeZone as string);
  } catch (error) {
    return fail(`cron '${cron}' is invalid: ${cronProblem(error)}.`);
  }
  if (compiled.nextRun(new Date(0)) === null) fail(`cron '${cron}' never fires (no date matches it).`);
  return { cron, every: null, timeZone: timeZone as string };
}

function checkArgs(args: unknown, fail: (problem: string) => never): readonly JsonValue[] {
  if (args === undefined) return Object.freeze([]);
  if (!Array.isArray(args)) return fail(`args must be an array of the task's JSON arguments (got ${kind(args)}).`);
  try {
    return Object.freeze(normalizeJson(args, "args") as JsonValue[]);
  } catch (error) {
    return fail(`${(error as Error).message}.`);
  }
}

function checkMissed(missed: unknown, fail: (problem: string) => never): Schedule["missed"] {
  if (missed === undefined || missed === "latest") return "latest";
  if (missed === "skip") return "skip";
  const expected = `expected "latest", "skip" or { all: true, within: <ms or "6h"> }`;
  if (typeof missed !== "object" || missed === null || Array.isArray(missed)) {
    return fail(`missed ${JSON.stringify(missed) ?? String(missed)} is not a policy; ${expected}.`);
  }
  const policy = missed as Record<string, unknown>;
  for (const key of Object.keys(policy)) {
    if (key !== "all" && key !== "within") fail(`missed has unknown key '${key}'; ${expected}.`);
  }
  if (policy.all !== true) fail(`missed.all must be true; ${expected}.`);
  if (policy.within === undefined) fail(`missed.within is required: how far back missed slots still run; ${expected}.`);
  const within = parseDuration(policy.within);
  if (typeof within !== "number") return fail(`missed.within ${within.problem}.`);
  if (within === 0) fail(`missed.within must be more than 0 (for no missed slots at all, write missed: "skip").`);
  return Object.freeze({ all: true, within });
}

function checkPriority(priority: unknown, fail: (problem: string) => never): number | null {
  if (!given(priority)) return null;
  if (!(Number.isInteger(priority) && (priority as number) >= MIN_PRIORITY && (priority as number) <= MAX_PRIORITY)) {
    fail(`priority must be a whole number between ${MIN_PRIORITY} and ${MAX_PRIORITY} (got ${kind(priority)}).`);
  }
  return priority as number;
}

function checkQueueName(queueName: unknown, fail: (problem: string) => never): string | null {
  if (!given(queueName)) return null;
  if (typeof queueName !== "string" || queueName === "") {
    fail(`queueName must be a non-empty string (got ${kind(queueName)}).`);
  }
  return queueName as string;
}

/** Optional fields accept undefined and null alike as "not given", so a Schedule is a declaration. */
function given(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** croner's message without its class prefix: `CronPattern: Invalid value for minute: 61`. */
function cronProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Cron\w*:\s*/, "").replace(/\.$/, "");
}

function kind(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  return JSON.stringify(value) ?? String(value);
}
