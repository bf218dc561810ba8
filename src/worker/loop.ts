import type { TaskContext } from "../context.ts";
import type { JsonValue } from "../json.ts";
import type { Outcome } from "../outcome.ts";
import type { TaskProgress } from "../progress.ts";
import { makeContext, runTask } from "../run-task.ts";
import { toTaskError } from "../task-error.ts";
import type { ClaimWords } from "../wire/claims.ts";
import { decodePayload, Payload, receivedArgs } from "../wire/payload.ts";
import {
  CANCEL,
  CONFIGURE,
  DEFINE,
  DROPPED,
  EXIT,
  FAILED,
  LOADING as LOADING_FRAME,
  MEMORY,
  type ParentFrame,
  PROGRESS,
  READY,
  RUN,
  STARTED,
  SUCCEEDED,
  type WorkerResultMeta,
} from "../wire/protocol.ts";
import { encodedOutcome, unsendable } from "./encoded-outcome.ts";
import { type BufferedJob, JobBuffer } from "./job-buffer.ts";
import { JobHistory } from "./job-history.ts";
import { BROKEN, LOADED, ModuleTable, type TaskEntry } from "./modules.ts";
import { runningTaskResult } from "./task-result.ts";

/** What the loop needs from its runtime (child process pipe or thread port). */
export interface WorkerPort {
  /** This worker's id as the parent names it: `String(pid)` or `thread-<threadId>`. */
  readonly workerId: string;
  /** Sends one batch of frames in one write / one message. */
  send(frames: unknown[]): void;
  /**
   * The memory figure reported after each job when the parent asks for it, in bytes: the RSS of a
   * child process, the heap in use of a worker thread (a thread has no RSS of its own).
   */
  memoryBytes(): number;
  /** Ends the worker once everything sent has left. Called once, when the loop stops. */
  exit(): void;
  /** The claim words shared with the pool (thread) or the control thread (child process). */
  readonly claims: ClaimWords;
}

const BYTES_PER_MB = 1024 * 1024;

/**
 * The worker side of the pool, shared by both runtimes: buffers the jobs the parent sends, runs them
 * one at a time in (priority, key) order, and reports back.
 *
 * Each job costs one write at most: the "finished" frame of the previous job waits and leaves together
 * with the "started" frame of the next one, just before that job runs. That write has to precede the
 * call, since a synchronous task blocks this thread and the parent must learn that it started.
 *
 * A buffered job is started only once its claim word is won (see claims.ts): the pool may have taken
 * it back meanwhile, without this thread's help, which is then silently skipped. The parent may also
 * abort a running job's signal, ask for the memory figure after each job, and ask the worker to exit
 * after its current job.
 */
export class WorkerLoop {
  readonly #port: WorkerPort;
  readonly #buffer = new JobBuffer();
  readonly #modules: ModuleTable;
  #out: unknown[] = [];
  /** True while a job runs or waits for its module; `pump` then leaves the buffer alone. */
  #busy = false;
  /** The job that went asynchronous, while it runs (-1: none): the one a CANCEL aborts. */
  #runningKey = -1;
  /** Its controller, when it takes a context (others cannot observe a signal). */
  #controller: AbortController | null = null;
  readonly #claims: ClaimWords;
  /** Report memory after each job (set by CONFIGURE). */
  #reportMemory = false;
  /** Asked to exit (EXIT frame or SIGTERM): no job is started any more. */
  #stopping = false;
  #exited = false;
  /** The running job and the last ones finished, to name the task a late fault came from. */
  readonly history = new JobHistory();

  constructor(port: WorkerPort) {
    this.#port = port;
    this.#claims = port.claims;
    this.#modules = new ModuleTable();
  }

  /** Tells the parent this worker takes jobs. */
  ready(): void {
    this.#port.send([[READY]]);
  }

  /** Takes one batch from the parent; call `pump()` after the last batch of a read. */
  receive(frames: readonly ParentFrame[]): void {
    for (const frame of frames) {
      if (frame[0] === RUN) {
        const meta = frame[7];
        this.#buffer.insert({
          key: frame[1],
          ref: frame[2],
          priority: frame[3],
          args: receivedArgs(frame),
          resultId: frame[5],
          attempt: frame[6],
          meta: meta === 0 ? null : meta,
          seq: frame[8],
        });
      } else if (frame[0] === DEFINE) {
        this.#modules.define(frame[1], frame[2], frame[3]);
      } else if (frame[0] === CANCEL) {
        this.#cancel(frame[1], frame[2]);
      } else if (frame[0] === EXIT) {
        this.#stopping = true;
      } else if (frame[0] === CONFIGURE) {
        this.#reportMemory = frame[1];
      }
    }
  }

  /**
   * Stops taking jobs: the current one (if any) finishes and is reported, then the worker exits.
   * Jobs still buffered are not reported; the parent takes them back when it sees the exit.
   */
  stop(): void {
    this.#stopping = true;
    this.pump();
  }

  /** Runs buffered jobs until the buffer is empty or one of them has to wait. */
  pump(): void {
    if (this.#busy) return;
    if (this.#stopping) {
      this.#exit();
      return;
    }
    this.#busy = true;
    const claims = this.#claims;
    for (let job = this.#buffer.shift(); job !== undefined; job = this.#buffer.shift()) {
      const entry = this.#modules.get(job.ref);
      if (entry.state === LOADED) {
        if (!claims.take(job.seq, false)) continue;
        if (this.#run(job, entry)) return;
      } else if (entry.state === BROKEN) {
        if (!claims.take(job.seq, false)) continue;
        this.#out.push([FAILED, job.key, Date.now(), entry.error]);
      } else {
        if (!claims.take(job.seq, true)) continue;
        // The job is ours from now on: if the import kills this worker, the parent must blame it
        // rather than hand it to the next worker.
        this.#out.push([LOADING_FRAME, job.key]);
        this.#flush();
        const claimed = job;
        void this.#modules.load(entry).then(() => this.#resume(claimed, entry));
        return;
      }
    }
    this.#flush();
    this.#busy = false;
  }

  #resume(job: BufferedJob, entry: TaskEntry): void {
    if (!this.#claims.start(job.seq)) {
      // Cancelled during the import: the pool already finished it, and waits for this to let go.
      this.#out.push([DROPPED, job.key]);
    } else if (entry.state === LOADED) {
      if (this.#run(job, entry)) return;
    } else {
      this.#out.push([FAILED, job.key, Date.now(), entry.error]);
    }
    this.#busy = false;
    this.pump();
  }

  /** Runs one job; true when it went asynchronous (the loop resumes when it settles). */
  #run(job: BufferedJob, entry: TaskEntry): boolean {
    const brand = entry.brand!;
    if (brand.takesContext && job.meta === null) {
      // A contract breach by whoever fed the pool, not the task's fault: said so, and nothing runs.
      const breach = new TypeError(
        `${entry.url}#${entry.exportName} takes a context, but the pool sent no context metadata for result ${job.resultId}`,
      );
      this.#out.push([FAILED, job.key, Date.now(), toTaskError(breach)]);
      return false;
    }
    const args = job.args instanceof Payload ? (decodePayload(job.args) as JsonValue[]) : job.args;
    const startedAt = Date.now();
    this.#out.push([STARTED, job.key, startedAt]);
    this.#flush();
    this.history.started(job.resultId, entry);
    let controller: AbortController | null = null;
    let context: TaskContext | null = null;
    if (brand.takesContext) {
      controller = new AbortController();
      context = this.#context(job, args, job.meta!, entry, startedAt, controller.signal);
    }
    const outcome = runTask(brand, args, job.resultId, context, encodedOutcome);
    if (outcome instanceof Promise) {
      // Only an asynchronous job can see a CANCEL while it runs: a synchronous one holds the thread.
      this.#runningKey = job.key;
      this.#controller = controller;
      void outcome.then((settled) => {
        this.#runningKey = -1;
        this.#controller = null;
        this.#settle(job.key, settled);
        this.#busy = false;
        this.pump();
      });
      return true;
    }
    this.#settle(job.key, outcome);
    return false;
  }

  #settle(key: number, outcome: Outcome<Payload>): void {
    this.history.finished();
    this.#out.push(outcome.ok ? [SUCCEEDED, key, Date.now(), outcome.value] : [FAILED, key, Date.now(), outcome.error]);
    if (this.#reportMemory) {
      this.#out.push([MEMORY, Math.round((this.#port.memoryBytes() / BYTES_PER_MB) * 10) / 10]);
    }
  }

  /** A running job has its signal aborted; the pool takes back other jobs through their claim words. */
  #cancel(key: number, reason: string): void {
    // An Error, like the immediate backend's, so that `signal.throwIfAborted()` throws one.
    if (key === this.#runningKey) this.#controller?.abort(new Error(reason));
  }

  #exit(): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#flush();
    this.#port.exit();
  }

  #context(
    job: BufferedJob,
    args: readonly JsonValue[],
    meta: WorkerResultMeta,
    entry: TaskEntry,
    startedAt: number,
    signal: AbortSignal,
  ): TaskContext {
    const key = job.key;
    const report = (progress: TaskProgress): void => {
      // Sent at once: the task may keep its thread busy for a long time after reporting.
      this.#port.send([[PROGRESS, key, progress]]);
    };
    const taskResult = runningTaskResult(meta, entry.exported, args, startedAt, this.#port.workerId);
    return makeContext(taskResult, job.attempt, report, signal);
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    const frames = this.#out;
    this.#out = [];
    try {
      this.#port.send(frames);
    } catch {
      // The batch could not be serialised (a return value past V8's longest string, say): nothing
      // of it left. Send it frame by frame, and fail the job whose outcome cannot be sent instead
      // of letting the error escape and kill this worker with every job it holds.
      this.#sendEach(frames);
    }
  }

  #sendEach(frames: readonly unknown[]): void {
    for (const frame of frames) {
      try {
        this.#port.send([frame]);
      } catch (error) {
        const f = frame as unknown[];
        if (f[0] !== SUCCEEDED && f[0] !== FAILED) continue;
        this.#port.send([[FAILED, f[1], f[2], unsendable(f[0] === SUCCEEDED ? "return value" : "error", error)]]);
      }
    }
  }
}
