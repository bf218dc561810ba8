/**
 * Worker-thread workers. Batches travel as arrays through `postMessage` (structured clone), one
 * message per batch.
 */
import { Worker } from "node:worker_threads";
import { TSX_REGISTERED } from "../../typescript.ts";
import { entryNeedsTsx, inheritedExecArgv, tsxModuleUrls, workerEntryUrl } from "./entry.ts";
import type { Runtime, RuntimeHooks, RuntimeWorker, WorkerExit } from "./types.ts";

/**
 * A worker thread on Node 20 ignores `--import tsx` for ES modules, so a `.ts` entry is reached
 * through this small CommonJS script: it registers tsx's hooks in the thread, marks them as active
 * for the loop, then imports the real entry. A failure is rethrown outside the promise chain so that
 * it ends the thread as an uncaught error the parent sees.
 */
function bootstrapSource(entryUrl: string): string {
  const { api } = tsxModuleUrls();
  return [
    `import(${JSON.stringify(api)})`,
    `  .then((tsx) => { tsx.register(); globalThis[Symbol.for(${JSON.stringify(TSX_REGISTERED.description)})] = true; return import(${JSON.stringify(entryUrl)}); })`,
    "  .catch((error) => { setImmediate(() => { throw error; }); });",
  ].join("\n");
}

/** Starts worker threads running `thread-entry`. */
export class ThreadRuntime implements Runtime {
  readonly kind = "thread" as const;
  readonly #execArgv: string[] | undefined;

  constructor(extraExecArgv: readonly string[] = []) {
    // Left undefined, a thread inherits the parent's flags, which is what we want by default.
    this.#execArgv = extraExecArgv.length > 0 ? [...inheritedExecArgv(), ...extraExecArgv] : undefined;
  }

  spawn(hooks: RuntimeHooks): RuntimeWorker {
    const entry = workerEntryUrl("thread");
    const options = this.#execArgv === undefined ? {} : { execArgv: this.#execArgv };
    const worker = entryNeedsTsx()
      ? new Worker(bootstrapSource(entry.href), { ...options, eval: true })
      : new Worker(entry, options);
    return new ThreadWorker(worker, hooks);
  }
}

class ThreadWorker implements RuntimeWorker {
  readonly id: string;
  readonly pid = null;
  readonly threadId: number;
  readonly #worker: Worker;
  #exited = false;

  constructor(worker: Worker, hooks: RuntimeHooks) {
    this.#worker = worker;
    this.threadId = worker.threadId;
    this.id = `thread-${worker.threadId}`;
    let reason: string | null = null;
    worker.on("message", (frames: unknown[]) => hooks.onBatches([frames]));
    worker.on("error", (error: unknown) => {
      reason = error instanceof Error ? `uncaught ${error.name}: ${error.message}` : `uncaught ${String(error)}`;
    });
    worker.on("exit", (code) => {
      this.#exited = true;
      hooks.onExit({ code, signal: null, reason });
    });
    // After the listeners: adding a "message" listener refs the worker's port again.
    worker.unref();
  }

  send(frames: readonly unknown[]): void {
    if (!this.#exited) this.#worker.postMessage(frames);
  }

  kill(): void {
    if (!this.#exited) void this.#worker.terminate();
  }

  terminate(): void {
    this.kill();
  }

  describeExit(exit: WorkerExit): string {
    return `Worker thread ${this.threadId} exited with code ${exit.code}`;
  }
}
