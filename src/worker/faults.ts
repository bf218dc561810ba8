/**
 * What a worker does with faults that escape every task: the same in a child process and in a
 * thread. A rejection nobody handled is survived and reported (Node would otherwise end the worker
 * during whatever job runs next, and blame it); an uncaught exception still ends the worker, since
 * Node's state is unsafe after one, but the parent learns whose code threw.
 */
import { currentResultId } from "../context.ts";
import { FATAL, WARNING } from "../wire/protocol.ts";
import type { JobHistory } from "./job-history.ts";

/** The warning code of a reported unhandled rejection. */
export const UNHANDLED_REJECTION = "TASKLANE_UNHANDLED_REJECTION";

export function handleFaults(workerId: string, history: JobHistory, send: (frames: unknown[]) => void): void {
  process.on("unhandledRejection", (reason: unknown) => {
    const { text } = history.blame(currentResultId());
    const message = `tasklane: worker ${workerId} carries on after an unhandled rejection ${text}: ${describe(reason, true)}`;
    send([[WARNING, UNHANDLED_REJECTION, message]]);
  });
  // Node prints the error and ends the worker after this; the frame lets the parent name the cause
  // in the WorkerCrashed error of the job that was running. A child's write to its pipe is attempted
  // synchronously and a thread's message is delivered before its exit, so it normally arrives.
  process.on("uncaughtExceptionMonitor", (error: unknown) => {
    const { own, text } = history.blame(currentResultId());
    const cause = `uncaught ${describe(error, false)}`;
    send([[FATAL, own ? cause : `${cause} (${text})`]]);
  });
}

/** `Name: message` (with the stack when asked), without trusting the thrown value to behave. */
function describe(thrown: unknown, withStack: boolean): string {
  try {
    if (thrown instanceof Error) {
      const head = `${thrown.name}: ${thrown.message}`;
      if (!withStack || typeof thrown.stack !== "string") return head;
      return thrown.stack.startsWith(head) ? thrown.stack : `${head}\n${thrown.stack}`;
    }
    return String(thrown);
  } catch {
    return "(a value that cannot be described)";
  }
}
