import {
  DEFINE,
  FAILED,
  LOADING as LOADING_FRAME,
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
}

/**
 * The worker side of the pool, shared by both runtimes: buffers the jobs the parent sends, runs them
 * one at a time in (priority, key) order, and reports back.
 *
 * Each job costs one write at most: the "finished" frame of the previous job waits and leaves together
 * with the "started" frame of the next one, just before that job runs. That write has to precede the
 * call, since a synchronous task blocks this thread and the parent must learn that it started.
 */
export class WorkerLoop {
  readonly #port: WorkerPort;
  readonly #buffer = new JobBuffer();
  readonly #modules: ModuleTable;
  #out: unknown[] = [];
  /** True while a job runs or waits for its module; `pump` then leaves the buffer alone. */
  #busy = false;

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
      }
    }
  }

  /** Runs buffered jobs until the buffer is empty or one of them has to wait. */
  pump(): void {
    if (this.#busy) return;
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
        const claimed = job;
        void this.#modules.load(entry).then(() => this.#resume(claimed, entry));
        return;
      }
    }
    this.#flush();
    this.#busy = false;
  }

  #resume(job: BufferedJob, entry: TaskEntry): void {
    if (entry.state === LOADED) {
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
    const context = brand.takesContext ? this.#context(job, entry, startedAt) : null;
    const outcome = runTask(brand, job.args, job.resultId, context);
    if (outcome instanceof Promise) {
      void outcome.then((settled) => {
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
  }

  #context(job: BufferedJob, entry: TaskEntry, startedAt: number) {
    const given = job.meta;
    // The parent cannot know which worker will run the attempt, so the worker adds its own id.
    const meta: WorkerResultMeta = {
      id: given?.id ?? job.resultId,
      backend: given?.backend ?? "",
      enqueuedAt: given?.enqueuedAt ?? startedAt,
      startedAt: given?.startedAt ?? null,
      workerIds: [...(given?.workerIds ?? []), this.#port.workerId],
      errors: given?.errors ?? [],
    };
    const key = job.key;
    const report = (progress: TaskProgress): void => {
      // Sent at once: the task may keep its thread busy for a long time after reporting.
      this.#port.send([[PROGRESS, key, progress]]);
    };
    return makeContext(workerSideResult(meta, entry.exported, job.args, startedAt), job.attempt, report);
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    const frames = this.#out;
    this.#out = [];
    this.#port.send(frames);
  }
}
