/**
 * Whether this thread is a tasklane pool worker, and the rule that follows from it: nothing is
 * enqueued here. A worker imports task modules to run them, so their top-level code (a script's
 * `configure()` and `await add.enqueue(…)`) runs again inside it; a pool built there would fork
 * workers of its own, each importing the module again, with none of the app's configuration.
 */
import { currentResultId } from "./context.ts";
import { EnqueueInWorker } from "./errors.ts";

// A registered symbol on the thread's global: the task module may load another copy of tasklane
// (dist vs src) than the worker entry that set it, and each worker thread has its own global.
const key = Symbol.for("tasklane.poolWorker");
const holder = globalThis as { [key]?: string };

/** Called once by each worker entry: `process 1234` or `thread 5`. */
export function markPoolWorker(name: string): void {
  holder[key] = name;
}

/** This thread's worker name, or undefined outside a pool worker. */
export function poolWorkerName(): string | undefined {
  return holder[key];
}

/**
 * Refuses an enqueue (of `modulePath`, whose function is `name`) made inside a pool worker, with the
 * ways out. Synchronous on purpose: an un-awaited `add.enqueue(…)` at a module's top level then
 * fails that module's import, rather than leaving an unhandled rejection to crash the worker later.
 * @throws EnqueueInWorker inside a pool worker.
 */
export function refuseInsideWorker(modulePath: string, name: string): void {
  const worker = holder[key];
  if (worker === undefined) return;
  const resultId = currentResultId();
  const why =
    "tasklane refuses enqueues inside workers: a worker has none of the app's configuration, and a pool " +
    "started there would fork workers of its own.";
  const fromTask =
    `To start another task from a task, return what it needs and enqueue it in the app; to run its ` +
    `function right here, call \`${name}.call(…)\`.`;
  if (resultId !== undefined) {
    throw new EnqueueInWorker(
      `${modulePath} was enqueued inside a running task (result ${resultId}) of a pool worker (${worker}). ${why} ${fromTask}`,
    );
  }
  throw new EnqueueInWorker(
    `${modulePath} was enqueued while a pool worker (${worker}) imported a task module: its top-level code runs ` +
      `again in every worker. ${why} Guard top-level code that configures or enqueues with a main-module check, ` +
      "`if (import.meta.url === pathToFileURL(process.argv[1]).href) { … }` (Node 20.11+: " +
      `\`import.meta.filename === process.argv[1]\`). ${fromTask}`,
  );
}
