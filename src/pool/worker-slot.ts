import type { Lane } from "./lane.ts";
import type { RuntimeWorker } from "./runtime/types.ts";
import type { PoolJob } from "./types.ts";

/** The pool's view of one worker: what it holds and what it has been told. */
export class WorkerSlot {
  readonly lane: Lane;
  worker!: RuntimeWorker;
  /** It said READY: jobs may be sent. */
  ready = false;
  /** Its exit was handled. */
  dead = false;
  /** Jobs sent and not finished, by key: the running one and the buffered ones. */
  readonly inflight = new Map<number, PoolJob>();
  /** The job the worker has claimed (importing its module, or running it). */
  current: PoolJob | null = null;
  /** When `current` started (worker clock), or -1 while its module is still being imported. */
  currentStartedAt = -1;
  /** Module refs already defined in this worker. */
  readonly knownRefs: boolean[] = [];
  /** Frames waiting for the end of the dispatch pass, sent as one batch. */
  out: unknown[] = [];
  /** Why the worker is dying, when it managed to say so (a child's uncaught exception). */
  fatal: string | null = null;
  /** Resolved once the exit was handled. */
  readonly exited: Promise<void>;
  markExited!: () => void;

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
    this.worker.send(frames);
  }
}
