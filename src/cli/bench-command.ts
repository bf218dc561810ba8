import { type Command, InvalidArgumentError } from "commander";
import {
  BenchOptionError,
  type CliBenchOptions,
  parseBackends,
  parsePositiveInt,
  parseWorkerList,
} from "../bench/options.ts";
import { BACKENDS } from "../bench/types.ts";
import { EXIT_FAILED, EXIT_USAGE } from "./errors.ts";
import type { CliIo } from "./io.ts";

const examples = `
Examples:
  $ tasklane bench --quick                           every section, small (the CI smoke test)
  $ tasklane bench --backends process-pool,piscina --workers 2
  $ tasklane bench --json bench.json --svg bench.svg full run, raw samples and a chart

The report starts with a summary table and a verdict, then one table per section.
Contenders: immediate, thread-pool and process-pool are tasklane's backends, used
through enqueue() and wait(); tinypool-threads, tinypool-process (its child_process
runtime) and piscina run the same functions through the peer library directly;
raw-process and raw-thread are bare echoes over the pools' own channels (no pool),
the floor for a round trip. Compare ratios: they are measured within one run.`;

/** How long `--quick` takes, measured (the report prints each run's own duration). */
const QUICK_DURATION = "about 30 s";

/** Wraps a bench option parser so commander reports a bad value as a usage error. */
function option<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      if (error instanceof BenchOptionError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

/**
 * Adds `tasklane bench` to `program`: measures enqueue cost, throughput, latency, CPU scaling,
 * payload cost and memory of tasklane's backends against tinypool, piscina and bare echoes, prints a
 * summary, a verdict, a table per section and the goals, and optionally writes the raw
 * samples (`--json`) and a chart (`--svg`).
 *
 * The harness and its dev-only dependencies (benchmark, cli-progress, tinypool, piscina) are
 * imported when the command runs, so registering it costs nothing and never breaks other commands
 * in an install without them.
 */
export function registerBenchCommand(program: Command, io: CliIo, exit: { code: number }): void {
  program
    .command("bench")
    .description(
      "Benchmark tasklane's backends against tinypool, piscina and bare echoes. Needs a clone of the repository " +
        "with its dev dependencies installed (npm install): the benchmark's task modules and the peer " +
        "libraries are not part of the installed package.",
    )
    .option("--backends <list>", `comma list of ${BACKENDS.join(", ")} (default: all)`, option(parseBackends))
    .option(
      "--tasks <n>",
      "no-op tasks per throughput flood (default 20000; --quick 1000)",
      option((t) => parsePositiveInt(t, "--tasks")),
    )
    .option(
      "--workers <list>",
      "worker counts, e.g. 1,2 (default 1, 2 and os.availableParallelism(); the CPU section also runs the powers of two up to it)",
      option(parseWorkerList),
    )
    .option(
      "--repeat <n>",
      "counted runs per measurement, after one warm-up run (default 5; --quick 2)",
      option((t) => parsePositiveInt(t, "--repeat")),
    )
    .option(
      "--cpu-tasks <n>",
      "tasks of ~8 ms per CPU batch (default 200; --quick 6)",
      option((t) => parsePositiveInt(t, "--cpu-tasks")),
    )
    .option(
      "--memory-tasks <n>",
      "no-op tasks in the memory flood (default 1000000; --quick 3000)",
      option((t) => parsePositiveInt(t, "--memory-tasks")),
    )
    .option("--quick", `every section with fewer tasks and repeats: ${QUICK_DURATION} on a quiet 2-core machine`)
    .option("--json <file>", "write every sample, the machine, versions and options as JSON")
    .option("--svg <file>", "write a self-contained SVG chart: throughput per backend, CPU speedup vs workers")
    .option("--no-progress", "do not draw the progress bar (it is only ever drawn when stderr is a terminal)")
    .addHelpText("after", examples)
    .action(async (options: CliBenchOptions) => {
      let command: typeof import("../bench/command.ts");
      try {
        command = await import("../bench/command.ts");
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === "ERR_MODULE_NOT_FOUND") {
          io.stderr(
            "tasklane bench needs its dev dependencies (benchmark, cli-progress, tinypool, piscina): " +
              `run it from a clone of the repository after npm install. (${(error as Error).message})\n`,
          );
          exit.code = EXIT_USAGE;
          return;
        }
        throw error;
      }
      try {
        await command.benchAction(options, { stdout: io.stdout, stderr: io.stderr });
      } catch (error) {
        // A failed run (a pool error, a child left behind) is reported, not dumped as a crash.
        io.stderr(`tasklane bench: ${error instanceof Error ? error.message : String(error)}\n`);
        exit.code = EXIT_FAILED;
      }
    });
}
