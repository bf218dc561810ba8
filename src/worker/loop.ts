import type { TaskContext } from "../context.ts";
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
} from "../pool/protocol.ts";
import type { TaskProgress } from "../progress.ts";
import { makeContext, type Outcome, runTask, type WorkerResultMeta, workerSideResult } from "../run-task.ts";
import { type BufferedJob, JobBuffer } from "./job-buffer.ts";
import { BROKEN, LOADED, ModuleTable, type TaskEntry } from "./modules.ts";

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
 * The parent may also cancel a job (dropped from the buffer, or its signal aborted while it runs),
 * ask for the memory figure after each job, and ask the worker to exit after its current job.
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
  /** The job claimed while its module loads (-1: none), and whether it was cancelled meanwhile. */
  #claimedKey = -1;
  #claimedCancelled = false;
  /** Report memory after each job (set by CONFIGURE). */
  #reportMemory = false;
  /** Asked to exit (EXIT frame or SIGTERM): no job is started any more. */
  #stopping = false;
  #exited = false;

  constructor(port: WorkerPort) {
    this.#port = port;
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
          args: frame[4],
          resultId: frame[5],
          attempt: frame[6],
          meta: meta === 0 ? null : meta,
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
    for (let job = this.#buffer.shift(); job !== undefined; job = this.#buffer.shift()) {
      const entry = this.#modules.get(job.ref);
      if (entry.state === LOADED) {
        if (this.#run(job, entry)) return;
      } else if (entry.state === BROKEN) {
        this.#out.push([FAILED, job.key, Date.now(), entry.error]);
      } else {
        // The job is ours from now on: if the import kills this worker, the parent must blame it
        // rather than hand it to the next worker.
        this.#out.push([LOADING_FRAME, job.key]);
        this.#flush();
        this.#claimedKey = job.key;
        this.#claimedCancelled = false;
        const claimed = job;
        void this.#modules.load(entry).then(() => this.#resume(claimed, entry));
        return;
      }
    }
    this.#flush();
    this.#busy = false;
  }

  #resume(job: BufferedJob, entry: TaskEntry): void {
    this.#claimedKey = -1;
    if (this.#claimedCancelled) {
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
    const startedAt = Date.now();
    this.#out.push([STARTED, job.key, startedAt]);
    this.#flush();
    const brand = entry.brand!;
    let controller: AbortController | null = null;
    let context: TaskContext | null = null;
    if (brand.takesContext) {
      controller = new AbortController();
      context = this.#context(job, entry, startedAt, controller.signal);
    }
    const outcome = runTask(brand, job.args, job.resultId, context);
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

  #settle(key: number, outcome: Outcome): void {
    this.#out.push(outcome.ok ? [SUCCEEDED, key, Date.now(), outcome.value] : [FAILED, key, Date.now(), outcome.error]);
    if (this.#reportMemory) {
      this.#out.push([MEMORY, Math.round((this.#port.memoryBytes() / BYTES_PER_MB) * 10) / 10]);
    }
  }

  /** A buffered job is dropped (and the parent told), a running one has its signal aborted. */
  #cancel(key: number, reason: string): void {
    if (key === this.#runningKey) {
      // An Error, like the immediate backend's, so that `signal.throwIfAborted()` throws one.
      this.#controller?.abort(new Error(reason));
    } else if (key === this.#claimedKey) {
      this.#claimedCancelled = true;
    } else if (this.#buffer.remove(key)) {
      // Nothing else waits in #out between two events, so this cannot reorder anything.
      this.#out.push([DROPPED, key]);
      this.#flush();
    }
  }

  #exit(): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#flush();
    this.#port.exit();
  }

  #context(job: BufferedJob, entry: TaskEntry, startedAt: number, signal: AbortSignal): TaskContext {
    const given = job.meta;
    // The parent cannot know which worker will run the attempt, so the worker adds its own id.
    const meta: WorkerResultMeta = {
      id: given?.id ?? job.resultId,
      backend: given?.backend ?? "",
      enqueuedAt: given?.enqueuedAt ?? startedAt,
      startedAt: given?.startedAt ?? null,
      workerIds: [...(given?.workerIds ?? []), this.#port.workerId],
      errors: given?.errors ?? [],
      scheduledAt: given?.scheduledAt ?? null,
    };
    const key = job.key;
    const report = (progress: TaskProgress): void => {
      // Sent at once: the task may keep its thread busy for a long time after reporting.
      this.#port.send([[PROGRESS, key, progress]]);
    };
    return makeContext(workerSideResult(meta, entry.exported, job.args, startedAt), job.attempt, report, signal);
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    const frames = this.#out;
    this.#out = [];
    this.#port.send(frames);
  }
}
