import { type Command, InvalidArgumentError } from "commander";
import type { CloseOptions } from "../backends/base.ts";
import { closeAll, DEFAULT_CONFIG } from "../config.ts";
import { type TaskResult, TaskResultStatus } from "../result.ts";
import { checkArgumentCount } from "./arity.ts";
import { type AliasSource, bindTask, enqueueAndWait, GaveUpWaiting } from "./enqueue.ts";
import { CliError, EXIT_FAILED, EXIT_OK } from "./errors.ts";
import { findTask } from "./find-task.ts";
import type { CliIo } from "./io.ts";
import { parseJsonArgs } from "./json-args.ts";
import { applyConfig, findConfigFile, loadConfigFile } from "./load-config.ts";
import { parseModulePath } from "./module-path.ts";

/** The options of `tasklane run`, as commander parses them. */
export interface RunOptions {
  config?: string;
  backend?: string;
  queue?: string;
  priority?: number;
  timeout?: number;
  quiet?: boolean;
}

const configNames = "tasklane.config.{ts,mjs,js,json}";

const examples = `
Examples:
  $ tasklane run ./tasks.ts#add 1 2
  $ tasklane run tasks.js#greet '"world"'         a string needs JSON quotes
  $ tasklane run ./tasks.ts#report '{"month": "2025-01"}' --queue reports
  $ tasklane run file:///srv/tasks.js#cleanup --backend inline --timeout 5000
  $ tasklane run --quiet ./tasks.ts#add 1 2       prints 3

Each argument is one JSON value. The task is enqueued on its backend (or
--backend), waited for, and its result printed as JSON: id, task, backend,
status, args, errors, returnValue...

Config: --config <file>, else the first of ${configNames}
in the working directory, else tasklane's default (a process pool).

Exit status: 0 the task succeeded; 1 it failed, or --timeout expired while it
was still running; 2 bad usage or input (nothing was run).`;

/** Adds `tasklane run` to `program`; the command stores its exit status in `exit.code`. */
export function addRunCommand(program: Command, io: CliIo, exit: { code: number }): Command {
  return program
    .command("run")
    .summary("enqueue a task, wait for it and print its result as JSON")
    .description(
      "Import the task exported as <modulePath> (file#export), enqueue it with the JSON arguments, " +
        "wait for it to finish and print its result as JSON.",
    )
    .argument("<modulePath>", "the task: ./tasks.ts#add, tasks.js#add or file:///abs/tasks.js#add")
    .argument("[jsonArgs...]", "the task's arguments, one JSON value each: 1, true, '\"text\"', '{\"a\": [1]}'")
    .option("--config <file>", `config file (default: the first of ${configNames} in the working directory)`)
    .option("--backend <alias>", "enqueue on this configured backend alias instead of the task's own")
    .option("--queue <name>", "enqueue on this queue instead of the task's own")
    .option("--priority <n>", "priority from -100 to 100 (larger runs sooner)", parseInteger)
    .option("--timeout <ms>", "give up waiting after this many milliseconds (exit 1)", parseMilliseconds)
    .option("-q, --quiet", "print only the return value, as JSON")
    .addHelpText("after", examples)
    .action(async (modulePath: string, jsonArgs: string[], options: RunOptions) => {
      exit.code = await runCommand(modulePath, jsonArgs, options, io);
    });
}

/**
 * `tasklane run`: enqueue, wait, print. Backends are closed whatever happens.
 * @returns the exit status: 0 SUCCESSFUL, 1 FAILED or timed out, 2 bad usage or input.
 */
export async function runCommand(
  modulePath: string,
  jsonArgs: string[],
  options: RunOptions,
  io: CliIo,
): Promise<number> {
  let closeOptions: CloseOptions | undefined;
  try {
    const result = await enqueueFromCommandLine(modulePath, jsonArgs, options, io);
    print(result, options.quiet === true, io);
    return result.status === TaskResultStatus.SUCCESSFUL ? EXIT_OK : EXIT_FAILED;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    // The task is still running: stop it rather than wait for it while closing.
    if (error instanceof GaveUpWaiting) closeOptions = { timeoutMs: 0 };
    io.stderr(`tasklane run: ${error.message}\n`);
    return error.exitCode;
  } finally {
    await closeAll(closeOptions);
  }
}

async function enqueueFromCommandLine(
  modulePath: string,
  jsonArgs: string[],
  options: RunOptions,
  io: CliIo,
): Promise<TaskResult> {
  // Cheap checks of the command line first, so a typo costs no imports.
  const ref = parseModulePath(modulePath, io.cwd);
  const args = parseJsonArgs(jsonArgs);
  const configFile = findConfigFile(io.cwd, options.config);
  let aliases: AliasSource = { config: DEFAULT_CONFIG, file: null };
  if (configFile !== null) {
    const loaded = await loadConfigFile(configFile);
    applyConfig(loaded);
    aliases = loaded;
  }
  const task = await findTask(ref);
  checkArgumentCount(task, args.length);
  const bound = bindTask(task, { backend: options.backend, queue: options.queue, priority: options.priority }, aliases);
  return enqueueAndWait(bound, args, options.timeout, aliases);
}

function print(result: TaskResult, quiet: boolean, io: CliIo): void {
  if (result.status === TaskResultStatus.SUCCESSFUL) {
    io.stdout(`${JSON.stringify(quiet ? result.returnValue : result.toJSON(), null, 2)}\n`);
    return;
  }
  if (!quiet) io.stdout(`${JSON.stringify(result.toJSON(), null, 2)}\n`);
  const last = result.errors.at(-1);
  const why = last === undefined ? "no error recorded" : `${last.exceptionClassPath}: ${last.message}`;
  io.stderr(`tasklane run: task ${result.task.modulePath} FAILED: ${why}\n`);
  // With --quiet the JSON (and its traceback) is not printed, so the traceback goes to stderr.
  if (quiet && last !== undefined) io.stderr(`${last.traceback}\n`);
}

function parseInteger(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new InvalidArgumentError("Not a whole number.");
  return Number(value);
}

function parseMilliseconds(value: string): number {
  const ms = Number(value);
  if (value.trim() === "" || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError("Not a number of milliseconds (0 or more).");
  }
  return ms;
}
