/**
 * Worker-thread workers. Batches travel as arrays through `postMessage` (structured clone), one
 * message per batch, their payloads as strings (payload.ts). The claim words of a thread's
 * buffered jobs are shared memory between the pool and the thread, so the pool takes a job back by
 * itself, at once (see claims.ts).
 *
 * A task in the thread can post to the same port: a message that is not a batch of frames, or
 * frames the pool cannot handle, make it a protocol violation of that worker, which is terminated.
 */
import { Worker } from "node:worker_threads";
import { TSX_REGISTERED } from "../../typescript.ts";
import { ClaimWords, claimBuffer, type WithdrawResult } from "../../wire/claims.ts";
import { isBatch } from "../../wire/framing.ts";
import { decodeValues, textPayloads } from "../../wire/payload.ts";
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
  readonly #execArgv: string[] | undefined;

  constructor(extraExecArgv: readonly string[] = []) {
    // Left undefined, a thread inherits the parent's flags, which is what we want by default.
    this.#execArgv = extraExecArgv.length > 0 ? [...inheritedExecArgv(), ...extraExecArgv] : undefined;
  }

  spawn(hooks: RuntimeHooks): RuntimeWorker {
    const entry = workerEntryUrl("thread");
    const claims = claimBuffer();
    const options =
      this.#execArgv === undefined ? { workerData: { claims } } : { execArgv: this.#execArgv, workerData: { claims } };
    const worker = entryNeedsTsx()
      ? new Worker(bootstrapSource(entry.href), { ...options, eval: true })
      : new Worker(entry, options);
    return new ThreadWorker(worker, new ClaimWords(claims), hooks);
  }
}

class ThreadWorker implements RuntimeWorker {
  readonly id: string;
  readonly pid = null;
  readonly threadId: number;
  readonly #worker: Worker;
  readonly #claims: ClaimWords;
  #exited = false;
  /** Set once it broke the protocol: nothing more it posts is believed. */
  #violation: string | null = null;

  constructor(worker: Worker, claims: ClaimWords, hooks: RuntimeHooks) {
    this.#worker = worker;
    this.#claims = claims;
    this.threadId = worker.threadId;
    this.id = `thread-${worker.threadId}`;
    let reason: string | null = null;
    worker.on("message", (frames: unknown) => {
      if (this.#violation !== null) return;
      if (!isBatch(frames)) {
        this.#violate(`it sent a malformed frame to the pool (not a batch of frames: ${describe(frames)})`);
        return;
      }
      try {
        decodeValues(frames, true);
        hooks.onBatches([frames]);
      } catch (error) {
        const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        this.#violate(`the pool could not handle its frames (${text})`);
      }
    });
    worker.on("error", (error: unknown) => {
      reason = error instanceof Error ? `uncaught ${error.name}: ${error.message}` : `uncaught ${String(error)}`;
    });
    worker.on("exit", (code) => {
      this.#exited = true;
      hooks.onExit({ code, signal: null, reason: this.#violation ?? reason });
    });
    // After the listeners: adding a "message" listener refs the worker's port again.
    worker.unref();
  }

  #violate(what: string): void {
    this.#violation = `${what}; it was terminated`;
    this.kill();
  }

  send(frames: readonly unknown[]): void {
    if (this.#exited) return;
    textPayloads(frames);
    this.#worker.postMessage(frames);
  }

  withdraw(seqs: readonly number[], evenImporting: boolean): WithdrawResult[] {
    return seqs.map((seq) => this.#claims.withdraw(seq, evenImporting));
  }

  hasPendingInput(): boolean {
    return false; // a message arrives whole
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

function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
