/**
 * A child process's stdout and stderr, which it shares with its parent (inherited descriptors).
 * A pipe whose reader is slower than the task keeps the rest in this process's memory, and a pipe
 * whose reader is gone fails every write with EPIPE.
 */
import { WARNING } from "../wire/protocol.ts";

/** The warning code of a report that the worker's stdout or stderr cannot be written to. */
export const STDIO_FAILED = "TASKLANE_WORKER_STDIO";

const streams = (): [string, NodeJS.WriteStream][] => [
  ["stdout", process.stdout],
  ["stderr", process.stderr],
];

/**
 * Keeps a failing stdout or stderr from ending the worker: Node would raise the stream's error as an
 * uncaught exception, so a dead pipe would cost a fork per task that logs. What is written to it
 * afterwards is dropped; the parent hears of it once per stream.
 */
export function guardStdio(workerId: string, send: (frames: unknown[]) => void): void {
  for (const [name, stream] of streams()) {
    let reported = false;
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (reported) return;
      reported = true;
      const message = `tasklane: worker ${workerId} cannot write to its ${name} (${error.code ?? error.message}); what its tasks write there is dropped from now on`;
      send([[WARNING, STDIO_FAILED, message]]);
    });
  }
}

/** Resolves once what was written to stdout and stderr has reached their descriptors (or failed). */
export function flushStdio(): Promise<void> {
  return Promise.all(
    streams().map(
      ([, stream]) =>
        new Promise<void>((resolve) => {
          if (stream.writableLength === 0 || stream.destroyed) resolve();
          // Writes complete in order: this callback runs once everything before it has left.
          else stream.write("", () => resolve());
        }),
    ),
  ).then(() => undefined);
}
