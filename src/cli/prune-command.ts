import type { Command } from "commander";
import { closeAll } from "../config.ts";
import { databaseBackend, openDatabase, parseQueueNames } from "./database-backend.ts";
import { CliError, EXIT_OK } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { configureFromCli } from "./load-config.ts";

/** The options of `tasklane prune`, as commander parses them. */
export interface PruneCommandOptions {
  config?: string;
  backend: string;
  queueName: string;
  minAgeDays: string;
  failedMinAgeDays?: string;
  dryRun?: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Adds `tasklane prune`. */
export function addPruneCommand(program: Command, io: CliIo, exit: { code: number }): void {
  program
    .command("prune")
    .summary("delete old finished results of a database backend")
    .description(
      "Delete SUCCESSFUL and FAILED results whose finish is older than the given age; READY and RUNNING ones are never touched.",
    )
    .option("--config <file>", "config file (default: tasklane.config.{ts,mjs,js,json} in the working directory)")
    .option("--backend <alias>", "the database backend's alias", "default")
    .option("--queue-name <names>", "queues to prune: a name, a comma list, or * for all", "default")
    .option("--min-age-days <days>", "minimum age of a finished result, in days (0: all of them)", "14")
    .option("--failed-min-age-days <days>", "minimum age of a FAILED result (default: --min-age-days)")
    .option("--dry-run", "only count what would be deleted")
    .action(async (options: PruneCommandOptions) => {
      exit.code = await pruneCommand(options, io);
    });
}

function days(text: string, option: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new CliError(`${option}: Must be a number of days >= 0 (got '${text}')`);
  }
  return n * DAY_MS;
}

/** `tasklane prune`: returns the exit status. */
export async function pruneCommand(options: PruneCommandOptions, io: CliIo): Promise<number> {
  try {
    const queues = parseQueueNames(options.queueName, "--queue-name");
    const minAgeMs = days(options.minAgeDays, "--min-age-days");
    const failedMinAgeMs =
      options.failedMinAgeDays === undefined ? minAgeMs : days(options.failedMinAgeDays, "--failed-min-age-days");
    const loaded = await configureFromCli(io.cwd, options.config);
    const store = await openDatabase(databaseBackend(options.backend, loaded));
    const dryRun = options.dryRun === true;
    const count = await store.prune({ queues, minAgeMs, failedMinAgeMs, dryRun });
    io.stdout(`${dryRun ? "Would delete" : "Deleted"} ${count} task result(s)\n`);
    // Slot records belong to no queue: every prune ages them out, each schedule keeping its latest.
    const slots = await store.pruneSlots({ minAgeMs, dryRun });
    if (slots > 0) io.stdout(`${dryRun ? "Would delete" : "Deleted"} ${slots} old schedule slot record(s)\n`);
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`tasklane prune: ${error.message}\n`);
    return error.exitCode;
  } finally {
    await closeAll({ timeoutMs: 0 });
  }
}
