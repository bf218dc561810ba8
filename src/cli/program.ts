import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerBenchCommand } from "./bench-command.ts";
import { addDashboardCommand } from "./dashboard-command.ts";
import { EXIT_USAGE } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { addMigrateCommand } from "./migrate-command.ts";
import { addPruneCommand } from "./prune-command.ts";
import { addRunCommand } from "./run-command.ts";
import { registerSchedulesCommand } from "./schedules-command.ts";
import { addWorkerCommand } from "./worker-command.ts";

const overview = `
Examples:
  $ tasklane run ./tasks.ts#add 1 2              run a task, print its result
  $ tasklane run --quiet tasks.js#greet '"Ada"'  print only its return value
  $ tasklane schedules                           the configured schedules and their next runs
  $ tasklane help run                            the options of run

A task is an export defined with task():
  export const add = task(import.meta, function add(a, b) { return a + b; });

Backends are configured by --config <file>, else by the first of
tasklane.config.ts, .mjs, .js or .json in the working directory, e.g.
tasklane.config.json:
  { "default": { "backend": "immediate" },
    "mail": { "backend": "./mail-backend.js#MailBackend", "queues": ["bulk"] } }
Without a config file, tasklane's default (a process pool) is used.`;

/**
 * Builds the `tasklane` program, writing to `io`. Each command stores its exit status in
 * `exit.code`; `runCli` is the usual way to drive it.
 */
export function createProgram(io: CliIo, exit: { code: number }): Command {
  const program = new Command("tasklane")
    .description("Run tasklane background tasks from the command line.")
    .version(readVersion(), "-V, --version", "print tasklane's version")
    .helpOption("-h, --help", "show help for a command")
    .helpCommand("help [command]", "show help for a command")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(run with --help for usage)")
    // Throw instead of exiting, so runCli returns the status and tests can run in-process.
    .exitOverride()
    .addHelpText("after", overview);
  // Subcommands copy the settings above, so they are added after them.
  addRunCommand(program, io, exit);
  addWorkerCommand(program, io, exit);
  addPruneCommand(program, io, exit);
  addMigrateCommand(program, io, exit);
  registerBenchCommand(program, io, exit);
  addDashboardCommand(program, io, exit);
  registerSchedulesCommand(program, io, exit);
  return program;
}

/**
 * Runs the CLI on `argv` (the arguments after `tasklane`) and returns the exit status:
 * 0 success, 1 task failed or timed out, 2 bad usage or input.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const exit = { code: 0 };
  try {
    await createProgram(io, exit).parseAsync([...argv], { from: "user" });
    return exit.code;
  } catch (error) {
    // --help and --version end with code 0; every other commander error is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    io.stderr(
      `tasklane: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

function readVersion(): string {
  // package.json sits two levels up from both src/cli/ and dist/cli/.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
