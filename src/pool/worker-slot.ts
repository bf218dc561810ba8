import { CLAIM_SLOTS } from "../wire/claims.ts";
import { RUN } from "../wire/protocol.ts";
import type { Lane } from "./lane.ts";
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
  /** When the pool learned that `current` started (pool clock): how long it has heard of no other. */
  currentHeardAt = 0;
  /** When the import for `current` began (pool clock), while `currentStartedAt` is -1. */
  loadingSince = 0;
  /** Keys of the jobs it holds that the pool asked to take back, until the answer comes. */
  readonly withdrawing = new Set<number>();
  /**
   * Keys of jobs it turned out to have claimed (a take-back lost) before the pool heard so: not
   * buffered any more. Cleared as their start or end is heard.
   */
  readonly claimed = new Set<number>();
  /** Jobs handed to it, for `maxTasksPerWorker`. */
  given = 0;
  /** Jobs it finished. */
  tasksDone = 0;
  /** Its memory as last reported, when the pool asked for reports. */
  rssMb: number | null = null;
  /** When it last became idle (for the idle timeout). */
  idleSince = 0;
  /** The timeout of the current job (of its import, or of its run), if it has one. */
  deadline: NodeJS.Timeout | null = null;
  /** The key of the job `deadline` is for. */
  deadlineKey = -1;
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
  /** The claim seq last handed out, and per claim slot the seq and key of the job that has it. */
  #seq = 0;
  readonly #slotSeqs = new Float64Array(CLAIM_SLOTS);
  readonly #slotKeys = new Float64Array(CLAIM_SLOTS).fill(-1);

  constructor(lane: Lane) {
    this.lane = lane;
    this.exited = new Promise<void>((resolve) => {
      this.markExited = resolve;
    });
  }

  /**
   * A claim seq for a job handed to this worker: the next whose slot no held job has. The worker
   * holds far fewer jobs than there are slots, so this mostly takes the very next one.
   */
  claimSeq(key: number): number {
    // Each held job has one slot (a job taken back gives its slot up), and a worker holds fewer
    // jobs than there are slots: one lap always finds a free one.
    for (let lap = 0; lap < CLAIM_SLOTS; lap++) {
      const seq = ++this.#seq;
      const index = seq % CLAIM_SLOTS;
      const holder = this.#slotKeys[index]!;
      if (holder !== -1 && this.inflight.has(holder)) continue;
      this.#slotSeqs[index] = seq;
      this.#slotKeys[index] = key;
      return seq;
    }
    throw new Error(`tasklane internal error: no free claim slot in worker ${this.worker.id}`);
  }

  /** The job with claim `seq` left this worker while its key may come back here: free its slot. */
  releaseSeq(seq: number): void {
    const index = seq % CLAIM_SLOTS;
    if (this.#slotSeqs[index] === seq) this.#slotKeys[index] = -1;
  }

  /** The key of the job with claim `seq`, if that slot is still its. */
  keyOf(seq: number): number | undefined {
    const index = seq % CLAIM_SLOTS;
    return this.#slotSeqs[index] === seq ? this.#slotKeys[index] : undefined;
  }

  /** The claim seqs of held jobs, by key (the newest, should a key have been handed here twice). */
  seqsOf(keys: ReadonlySet<number>): Map<number, number> {
    const out = new Map<number, number>();
    for (let index = 0; index < CLAIM_SLOTS; index++) {
      const key = this.#slotKeys[index]!;
      if (!keys.has(key)) continue;
      const seq = this.#slotSeqs[index]!;
      if ((out.get(key) ?? 0) < seq) out.set(key, seq);
    }
    return out;
  }

  /** Jobs it holds that it has not started or claimed (as far as the pool knows), and not being taken back. */
  buffered(): number {
    const current = this.current;
    const running = current !== null && !this.withdrawing.has(current.key) && !this.claimed.has(current.key) ? 1 : 0;
    return this.inflight.size - running - this.withdrawing.size - this.claimed.size;
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
    this.deadlineKey = -1;
  }

  /** Marks it as on its way out (once), so that a replacement may be forked at once. */
  leave(): void {
    this.accepting = false;
    if (this.leaving) return;
    this.leaving = true;
    this.lane.leaving++;
  }
}
