import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { closeAll, configuredSchedules } from "../config.ts";
import { DatabaseWorker, defaultWorkerId, type WorkerEnd } from "../db/worker.ts";
import { databaseBackend, openDatabase, parseQueueNames } from "./database-backend.ts";
import { CliError, EXIT_FAILED, EXIT_OK } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { configureFromCli } from "./load-config.ts";
import { startWorkerSchedules, type WorkerSchedules } from "./worker-schedules.ts";

/** The options of `tasklane worker`, as commander parses them. */
export interface WorkerCommandOptions {
  config?: string;
  backend: string;
  queueName: string;
  excludeQueues?: string;
  concurrency?: string;
  interval: string;
  batch?: boolean;
  maxTasks?: string;
  workerId?: string;
  startupDelay: boolean;
  schedules: boolean;
  verbose: number;
  quiet?: boolean;
}

const examples = `
Examples:
  $ tasklane worker                                 every task on the 'default' queue
  $ tasklane worker --queue-name '*' --exclude-queues reports --concurrency 4
  $ tasklane worker --batch                         run what is ready, then exit
  $ tasklane worker --no-schedules                  run tasks, leave the schedules to other workers

Tasks run in the worker's own pool of child processes (--concurrency of them for
the shared lane; options.queues of the backend gives queues lanes of their own).
Claimed rows carry a lease the worker renews; a worker that dies loses its rows
to the others once the lease (options.leaseMs, default 30 s) runs out.

The worker also evaluates the schedules configured on its backend (not with
--batch or --no-schedules): every worker on the database may, and the database's
unique key per slot makes each slot run exactly once.

Signals: the first SIGINT/SIGTERM stops claiming and lets the running tasks
finish (exit 0); a second one stops them (they end FAILED saying so, exit 1).`;

/** Adds `tasklane worker`. */
export function addWorkerCommand(program: Command, io: CliIo, exit: { code: number }): void {
  program
    .command("worker")
    .summary("claim and run the tasks of a database backend")
    .description("Claim READY tasks from a database backend and run them in a pool of child processes.")
    .option("--config <file>", "config file (default: tasklane.config.{ts,mjs,js,json} in the working directory)")
    .option("--backend <alias>", "the database backend's alias", "default")
    .option("--queue-name <names>", "queues to run: a name, a comma list, or * for all", "default")
    .option("--exclude-queues <names>", "with --queue-name '*': queues not to run (comma list)")
    .option(
      "--concurrency <n>",
      `child workers of the shared lane (default: the backend's maxWorkers, else ${availableParallelism()})`,
    )
    .option("--interval <seconds>", "how often an idle worker looks for tasks", "1")
    .option("--batch", "run the tasks that are ready, then exit")
    .option("--max-tasks <n>", "exit after running this many tasks")
    .option("--worker-id <id>", "this worker's id in results (unique, at most 64 characters; default: host-pid-random)")
    .option("--no-startup-delay", "start claiming at once (default: wait a random time under 1 s)")
    .option("--no-schedules", "do not evaluate the backend's schedules (default: evaluate them, except with --batch)")
    .option("-v, --verbose", "log every task state (repeat for more)", (_v: string, n: number) => n + 1, 1)
    .option("-q, --quiet", "log nothing but errors")
    .addHelpText("after", examples)
    .action(async (options: WorkerCommandOptions) => {
      exit.code = await workerCommand(options, io);
    });
}

interface Parsed {
  queues: readonly string[] | "*";
  excludeQueues: readonly string[];
  concurrency: number | null;
  intervalMs: number;
  maxTasks: number | null;
  workerId: string;
}

/** Checks the options with django-tasks-db's rules and messages, each prefixed with its option. */
export function parseWorkerOptions(options: WorkerCommandOptions): Parsed {
  const queues = parseQueueNames(options.queueName, "--queue-name");
  let excludeQueues: readonly string[] = [];
  if (options.excludeQueues !== undefined) {
    if (queues !== "*") throw new CliError("--exclude-queues can only be used with --queue-name=*");
    const parsed = parseQueueNames(options.excludeQueues, "--exclude-queues");
    if (parsed === "*") throw new CliError("--exclude-queues: name the queues to leave out, not *");
    excludeQueues = parsed;
  }
  const interval = Number(options.interval);
  if (options.interval.trim() === "" || !Number.isFinite(interval)) {
    throw new CliError(`--interval: Must be a finite floating point value (got '${options.interval}')`);
  }
  if (interval < 0) throw new CliError(`--interval: Must be greater than zero (got ${options.interval})`);
  const maxTasks = options.maxTasks === undefined ? null : wholeNumber(options.maxTasks, "--max-tasks", 0);
  const concurrency = options.concurrency === undefined ? null : wholeNumber(options.concurrency, "--concurrency", 1);
  const workerId = options.workerId ?? defaultWorkerId();
  if (workerId.trim() === "") throw new CliError("--worker-id: Worker id must not be empty");
  if (workerId.length > 64) {
    throw new CliError(`--worker-id: Worker ids must be at most 64 characters (got ${workerId.length})`);
  }
  return { queues, excludeQueues, concurrency, intervalMs: interval * 1000, maxTasks, workerId };
}

/** Says which configured schedules this worker leaves to others, and why. */
function logSchedulesOff(options: WorkerCommandOptions, log: (level: 1, line: string) => void): void {
  const names = (configuredSchedules().get(options.backend) ?? []).map((s) => s.name);
  if (names.length === 0) return;
  const why = options.schedules ? "--batch" : "--no-schedules";
  log(1, `Schedules not evaluated (${why}): ${names.join(", ")}.`);
}

function wholeNumber(text: string, option: string, min: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) {
    throw new CliError(`${option}: Must be a whole number >= ${min} (got '${text}')`);
  }
  return Number(text);
}

/** `tasklane worker`: runs until done or signalled; returns the exit status. */
export async function workerCommand(options: WorkerCommandOptions, io: CliIo): Promise<number> {
  let worker: DatabaseWorker | null = null;
  let schedules: WorkerSchedules | null = null;
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGQUIT"];
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (worker === null) {
      // Not started yet: nothing runs, nothing to finish.
      process.exit(received > 1 ? EXIT_FAILED : EXIT_OK);
    }
    if (received === 1) {
      io.stderr(`Received ${signal}: shutting down gracefully (send it again to stop the running tasks).\n`);
      void schedules?.stop();
      worker.stop();
    } else {
      io.stderr(`Received ${signal} again: stopping the running tasks.\n`);
      worker.abort(`The worker was stopped by a second ${signal} while the task ran`);
    }
  };
  try {
    const parsed = parseWorkerOptions(options);
    const loaded = await configureFromCli(io.cwd, options.config);
    const backend = databaseBackend(options.backend, loaded);
    const store = await openDatabase(backend);
    for (const s of signals) process.on(s, onSignal);
    if (options.startupDelay) {
      // A fleet restarted at once would otherwise claim in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
    }
    const verbosity = options.quiet === true ? 0 : options.verbose;
    const log = (level: 0 | 1 | 2, line: string) => {
      if (level <= verbosity) io.stderr(`${new Date().toISOString()} ${line}\n`);
    };
    worker = new DatabaseWorker(backend, store, {
      queues: parsed.queues,
      excludeQueues: parsed.excludeQueues,
      concurrency: parsed.concurrency ?? backend.settings.maxWorkers,
      intervalMs: parsed.intervalMs,
      batch: options.batch === true,
      maxTasks: parsed.maxTasks,
      workerId: parsed.workerId,
      log,
    });
    // A batch drains what is ready and exits: firing slots meanwhile would race its end.
    if (options.schedules && options.batch !== true) schedules = startWorkerSchedules(options.backend, backend, log);
    else logSchedulesOff(options, log);
    const end: WorkerEnd = await worker.run();
    return end === "aborted" ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`tasklane worker: ${error.message}\n`);
    return error.exitCode;
  } finally {
    await schedules?.stop();
    for (const s of signals) process.off(s, onSignal);
    await closeAll({ timeoutMs: 0 });
  }
}
