import type { Lane } from "./lane.ts";
import { RUN } from "./protocol.ts";
import type { RuntimeWorker } from "./runtime/types.ts";
import type { PoolJob } from "./types.ts";

/** The pool's view of one worker: what it holds and what it has been told. */
export class WorkerSlot {
  readonly lane: Lane;
  worker!: RuntimeWorker;
  /** It said READY: jobs may be sent. */
  ready = false;
  /** Dispatch may hand it jobs: ready, and neither retiring nor being stopped. */
  accepting = false;
  /** To be told to exit once it holds nothing (recycling); it takes no new job meanwhile. */
  retiring = false;
  /** Told to exit, or killed: counted in `lane.leaving`. */
  leaving = false;
  /** Its exit was handled. */
  dead = false;
  /** Jobs sent and not finished, by key: the running one and the buffered ones. */
  readonly inflight = new Map<number, PoolJob>();
  /** The job the worker has claimed (importing its module, or running it). */
  current: PoolJob | null = null;
  /** When `current` started (worker clock), or -1 while its module is still being imported. */
  currentStartedAt = -1;
  /** Jobs handed to it, for `maxTasksPerWorker`. */
  given = 0;
  /** Jobs it finished. */
  tasksDone = 0;
  /** Its memory as last reported, when the pool asked for reports. */
  rssMb: number | null = null;
  /** When it last became idle (for the idle timeout). */
  idleSince = 0;
  /** The timeout of the running job, if it has one. */
  deadline: NodeJS.Timeout | null = null;
  /** The kill that follows an exit request it does not obey. */
  exitTimer: NodeJS.Timeout | null = null;
  /** Module refs already defined in this worker. */
  readonly knownRefs: boolean[] = [];
  /** Frames waiting for the end of the dispatch pass, sent as one batch. */
  out: unknown[] = [];
  /** Why the worker is dying, when it managed to say so (a child's uncaught exception). */
  fatal: string | null = null;
  /** Resolved once the exit was handled. */
  readonly exited: Promise<void>;
  markExited!: () => void;
  /** Told of each job whose RUN frame could not be serialised (it was not sent). */
  onUnsendable: (key: number, error: unknown) => void = () => {};

  constructor(lane: Lane) {
    this.lane = lane;
    this.exited = new Promise<void>((resolve) => {
      this.markExited = resolve;
    });
  }

  flush(): void {
    if (this.out.length === 0) return;
    const frames = this.out;
    this.out = [];
    try {
      this.worker.send(frames);
    } catch {
      // The batch could not be serialised (a value too deep for JSON.stringify or structured clone):
      // nothing of it was sent. Send it frame by frame, so that only the jobs it concerns fail.
      this.#sendEach(frames);
    }
  }

  #sendEach(frames: readonly unknown[]): void {
    for (const frame of frames) {
      try {
        this.worker.send([frame]);
      } catch (error) {
        const f = frame as unknown[];
        if (f[0] === RUN) this.onUnsendable(f[1] as number, error);
      }
    }
  }

  clearDeadline(): void {
    if (this.deadline === null) return;
    clearTimeout(this.deadline);
    this.deadline = null;
  }

  /** Marks it as on its way out (once), so that a replacement may be forked at once. */
  leave(): void {
    this.accepting = false;
    if (this.leaving) return;
    this.leaving = true;
    this.lane.leaving++;
  }
}
