import { EXIT_FAILED } from "./errors.ts";

/** Where the CLI reads its working directory and writes its output; tests pass their own. */
export interface CliIo {
  /** The directory module paths and config files are resolved against. */
  readonly cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The real process's working directory and streams. */
export function processIo(): CliIo {
  return {
    cwd: process.cwd(),
    stdout: (text) => {
      process.stdout.write(text);
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
  };
}

/**
 * Runs the CLI as the process's main program and exits with its status. If the event loop drains
 * while the run is still pending, nothing is left that could ever settle it (an in-process task
 * awaiting a promise nobody resolves): that is reported as a failure rather than a silent exit.
 */
export function runAsMain(run: () => Promise<number>): void {
  const onDrained = () => {
    process.stderr.write(
      "tasklane: the task can never finish: it awaits a promise that nothing is left to settle (no timer, " +
        "I/O or worker is pending).\n",
    );
    process.exit(EXIT_FAILED);
  };
  process.once("beforeExit", onDrained);
  void run().then((code) => {
    process.off("beforeExit", onDrained);
    return exitProcess(code);
  });
}

/**
 * Ends the process once stdout and stderr are flushed. Exiting explicitly, rather than letting the
 * event loop drain, is what a CLI needs: a task may leave timers or sockets open, and after
 * `--timeout` the task itself may still be running in this process.
 */
async function exitProcess(code: number): Promise<never> {
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  // The callback of an empty write runs once everything written before it has been handed over.
  return new Promise((resolve) => stream.write("", () => resolve()));
}
