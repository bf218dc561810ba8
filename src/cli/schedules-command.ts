import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type Command, InvalidArgumentError } from "commander";
import { closeAll, configuredSchedules, DEFAULT_CONFIG, getBackend, type TasksConfig } from "../config.ts";
import type { JsonValue } from "../json.ts";
import type { Schedule } from "../schedules/declaration.ts";
import { ledgerOf } from "../schedules/ledger.ts";
import { slotsBetween } from "../schedules/slots.ts";
import { CliError, EXIT_OK } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { applyConfig, findConfigFile, loadConfigFile } from "./load-config.ts";
import { describeMissed, describeTiming, localTime } from "./schedule-format.ts";

/** The options of `tasklane schedules`, as commander parses them. */
export interface SchedulesOptions {
  config?: string;
  backend?: string;
  from?: number;
  next: number;
  json?: boolean;
}

/** One schedule as `--json` prints it. */
interface Listed {
  name: string;
  backend: string;
  task: string;
  args: JsonValue[];
  cron: string | null;
  every: number | null;
  timeZone: string | null;
  missed: Schedule["missed"];
  priority: number | null;
  queueName: string | null;
  /** The next slots: wall-clock time in the schedule's zone (UTC for an interval), and the instant. */
  next: { local: string; utc: string }[];
  /** The latest slot the backend's ledger holds; null when none, or when the backend keeps none. */
  lastSlot: string | null;
  /** Whether the backend records slots across processes (the database backend does; in-memory ones do not). */
  tracked: boolean;
}

const examples = `
Examples:
  $ tasklane schedules                            every configured schedule, its next 3 runs
  $ tasklane schedules --backend default --next 5
  $ tasklane schedules --from 2026-03-29T00:00:00Z  the runs after a given time (a DST change…)
  $ tasklane schedules --json

Schedules are declared under "schedules" in a backend's configuration entry:
  { "default": { "backend": "process-pool", "schedules": [
      { "name": "nightly-report", "task": "./tasks.ts#report", "args": ["daily"],
        "cron": "0 2 * * *", "timeZone": "Europe/Berlin" } ] } }`;

/** Adds `tasklane schedules` to `program`; the command stores its exit status in `exit.code`. */
export function registerSchedulesCommand(program: Command, io: CliIo, exit: { code: number }): Command {
  return program
    .command("schedules")
    .summary("list the configured schedules, their next runs and the last slot enqueued")
    .description(
      "List each configured schedule: its task, timing and missed-slot policy, its next runs (in its " +
        "time zone and in UTC) and the last slot its backend recorded.",
    )
    .option(
      "--config <file>",
      "config file (default: the first of tasklane.config.{ts,mjs,js,json} in the working directory)",
    )
    .option("--backend <alias>", "only the schedules of this backend alias")
    .option("--from <time>", "list the runs after this ISO 8601 time instead of now", parseTime)
    .option("--next <n>", "how many next runs to list per schedule (1-100)", parseCount, 3)
    .option("--json", "print the list as JSON")
    .addHelpText("after", examples)
    .action(async (options: SchedulesOptions) => {
      exit.code = await schedulesCommand(options, io);
    });
}

/**
 * `tasklane schedules`: load the configuration, list its schedules. Backends are closed afterwards.
 * @returns the exit status: 0 listed (also when there is nothing to list), 2 bad usage or configuration.
 */
export async function schedulesCommand(options: SchedulesOptions, io: CliIo): Promise<number> {
  try {
    const configFile = findConfigFile(io.cwd, options.config);
    let config: TasksConfig = DEFAULT_CONFIG;
    if (configFile !== null) {
      const loaded = await loadConfigFile(configFile);
      applyConfig(loaded);
      config = loaded.config;
    }
    if (options.backend !== undefined && !Object.hasOwn(config, options.backend)) {
      const from = configFile ?? "the default configuration (no config file found)";
      throw new CliError(
        `Unknown backend alias '${options.backend}': ${from} configures ${Object.keys(config).join(", ")}.`,
      );
    }
    const listed = await list(options, io);
    if (options.json === true) io.stdout(`${JSON.stringify(listed, null, 2)}\n`);
    else io.stdout(listed.length === 0 ? nothingToList(options, configFile) : listed.map(render).join("\n"));
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`tasklane schedules: ${error.message}\n`);
    return error.exitCode;
  } finally {
    await closeAll();
  }
}

async function list(options: SchedulesOptions, io: CliIo): Promise<Listed[]> {
  // The real clock, read once, here at the edge: the scheduling core itself never reads it.
  const from = options.from ?? Date.now();
  const out: Listed[] = [];
  for (const [alias, schedules] of configuredSchedules()) {
    if (options.backend !== undefined && alias !== options.backend) continue;
    const ledger = ledgerOf(getBackend(alias));
    for (const s of schedules) {
      const zone = s.timeZone ?? "UTC";
      const last = ledger === null ? null : await ledger.lastSlot(s.name);
      out.push({
        name: s.name,
        backend: alias,
        task: shortModulePath(s.task.modulePath, io.cwd),
        args: [...s.args],
        cron: s.cron,
        every: s.every,
        timeZone: s.timeZone,
        missed: s.missed,
        priority: s.priority,
        queueName: s.queueName,
        next: slotsBetween(s, from, Number.MAX_SAFE_INTEGER, options.next).map((at) => ({
          local: localTime(at, zone),
          utc: new Date(at).toISOString(),
        })),
        lastSlot: last === null ? null : new Date(last).toISOString(),
        tracked: ledger !== null,
      });
    }
  }
  return out;
}

function render(s: Listed): string {
  const lines = [`${s.name}  (backend '${s.backend}')`];
  lines.push(`  task    ${s.task}${s.args.length === 0 ? "" : ` ${JSON.stringify(s.args)}`}`);
  const options = [
    s.priority === null ? null : `priority ${s.priority}`,
    s.queueName === null ? null : `queue ${s.queueName}`,
  ].filter((o) => o !== null);
  lines.push(`  when    ${describeTiming(s)}; missed slots: ${describeMissed(s.missed)}`);
  if (options.length > 0) lines.push(`  runs    ${options.join(", ")}`);
  s.next.forEach((n, i) => {
    lines.push(`  ${i === 0 ? "next" : "    "}    ${n.local}  (${n.utc})`);
  });
  if (s.next.length === 0) lines.push("  next    none: the expression matches no later date");
  const last = s.tracked ? (s.lastSlot ?? "none enqueued yet") : "not tracked across processes (in-memory backend)";
  lines.push(`  last    ${last}`);
  return `${lines.join("\n")}\n`;
}

function nothingToList(options: SchedulesOptions, configFile: string | null): string {
  const whose = options.backend === undefined ? "" : ` for backend '${options.backend}'`;
  const where = configFile ?? "the default configuration (no config file found)";
  return `No schedules are configured${whose} in ${where}.\n`;
}

/** The module path relative to the working directory when it is below it, as a user would write it. */
function shortModulePath(modulePath: string, cwd: string): string {
  if (!modulePath.startsWith("file:")) return modulePath;
  const hash = modulePath.lastIndexOf("#");
  const file = fileURLToPath(modulePath.slice(0, hash));
  const rel = relative(cwd, file);
  return rel.startsWith("..") ? modulePath : `${rel}${modulePath.slice(hash)}`;
}

function parseTime(value: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError("Not a date and time (ISO 8601, e.g. 2026-03-29T00:00:00Z).");
  return ms;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100) throw new InvalidArgumentError("Not a whole number from 1 to 100.");
  return n;
}
