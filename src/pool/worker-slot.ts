import { CLAIM_SLOTS } from "../wire/claims.ts";
import { Payload } from "../wire/payload-value.ts";
import { DEFINE, EXIT, RUN } from "../wire/protocol.ts";
import type { Lane } from "./lane.ts";

/**
 * A batch whose arguments reach this many characters is sent at once, not at the end of the
 * dispatch pass: a worker reads a batch only once all of it has arrived, so 64 jobs of ~100 KB
 * handed ahead in one 4 MB batch kept it idle until the last byte came, then parsed it all at once.
 */
const BATCH_FLUSH_CHARS = 64 * 1024;

/** The engine's lanes: lanes of worker slots. */
export type SlotLane = Lane<WorkerSlot>;

import type { RuntimeWorker } from "./runtime/types.ts";
import type { PoolJob } from "./types.ts";

/**
 * The pool's view of one worker: what it holds and what it has been told. Its state changes only
 * through its methods, one per thing that happens to a worker (a frame heard, a job given or taken
 * back, a timer armed), so that what belongs together (the current job and its start, the held jobs
 * and their claim slots) changes together; from outside it is read-only.
 */
export class WorkerSlot {
  readonly lane: SlotLane;
  readonly worker: RuntimeWorker;
  #ready = false;
  #accepting = false;
  #retiring = false;
  #leaving = false;
  #dead = false;
  readonly #inflight = new Map<number, PoolJob>();
  /** Jobs sent and not finished, by key: the running one and the buffered ones. */
  readonly inflight: ReadonlyMap<number, PoolJob> = this.#inflight;
  #current: PoolJob | null = null;
  #currentStartedAt = -1;
  #currentHeardAt = 0;
  #loadingSince = 0;
  readonly #withdrawing = new Set<number>();
  /** Keys of the jobs it holds that the pool asked to take back, until the answer comes. */
  readonly withdrawing: ReadonlySet<number> = this.#withdrawing;
  readonly #claimed = new Set<number>();
  /**
   * Keys of jobs it turned out to have claimed (a take-back lost) before the pool heard so: not
   * buffered any more. Cleared as their start or end is heard.
   */
  readonly claimed: ReadonlySet<number> = this.#claimed;
  /** Jobs handed to it, for `maxTasksPerWorker`. */
  #given = 0;
  #tasksDone = 0;
  #rssMb: number | null = null;
  #idleSince = 0;
  /** The timeout of the current job (of its import, or of its run), if it has one. */
  #deadline: NodeJS.Timeout | null = null;
  #deadlineKey = -1;
  /** The kill that follows an exit request it does not obey. */
  #exitTimer: NodeJS.Timeout | null = null;
  /** Module refs already defined in this worker. */
  readonly #knownRefs: boolean[] = [];
  /** Frames waiting for the end of the dispatch pass, sent as one batch. */
  #out: unknown[] = [];
  /** The payload text in `#out`, in characters. */
  #outChars = 0;
  #fatal: string | null = null;
  /** Resolved once the exit was handled. */
  readonly exited: Promise<void>;
  readonly #resolveExited: () => void;
  /** Told of each job whose RUN frame could not be serialised (it was not sent). */
  readonly #onUnsendable: (key: number, error: unknown) => void;
  /** The claim seq last handed out, and per claim slot the seq and key of the job that has it. */
  #seq = 0;
  readonly #slotSeqs = new Float64Array(CLAIM_SLOTS);
  readonly #slotKeys = new Float64Array(CLAIM_SLOTS).fill(-1);

  /**
   * @param start - starts the worker this slot stands for (its hooks may name the slot; they are
   *   called only later). Whatever it throws, the constructor throws.
   * @param onUnsendable - told of each job whose RUN frame could not be serialised (it was not sent).
   */
  constructor(
    lane: SlotLane,
    start: (slot: WorkerSlot) => RuntimeWorker,
    onUnsendable: (slot: WorkerSlot, key: number, error: unknown) => void,
  ) {
    this.lane = lane;
    let resolve!: () => void;
    this.exited = new Promise<void>((r) => {
      resolve = r;
    });
    this.#resolveExited = resolve;
    this.#onUnsendable = (key, error) => onUnsendable(this, key, error);
    this.worker = start(this);
  }

  /** It said READY: jobs may be sent. */
  get ready(): boolean {
    return this.#ready;
  }
  /** Dispatch may hand it jobs: ready, and neither retiring nor being stopped. */
  get accepting(): boolean {
    return this.#accepting;
  }
  /** To be told to exit once it holds nothing (recycling); it takes no new job meanwhile. */
  get retiring(): boolean {
    return this.#retiring;
  }
  /** Told to exit, or killed: counted in `lane.leaving`. */
  get leaving(): boolean {
    return this.#leaving;
  }
  /** Its exit was handled. */
  get dead(): boolean {
    return this.#dead;
  }
  /** The job the worker has claimed (importing its module, or running it). */
  get current(): PoolJob | null {
    return this.#current;
  }
  /** When `current` started (worker clock), or -1 while its module is still being imported. */
  get currentStartedAt(): number {
    return this.#currentStartedAt;
  }
  /** When the pool learned that `current` started (pool clock): how long it has heard of no other. */
  get currentHeardAt(): number {
    return this.#currentHeardAt;
  }
  /** When the import for `current` began (pool clock), while `currentStartedAt` is -1. */
  get loadingSince(): number {
    return this.#loadingSince;
  }
  /** Jobs it finished. */
  get tasksDone(): number {
    return this.#tasksDone;
  }
  /** Its memory as last reported, when the pool asked for reports. */
  get rssMb(): number | null {
    return this.#rssMb;
  }
  /** When it last became idle (for the idle timeout). */
  get idleSince(): number {
    return this.#idleSince;
  }
  /** The key of the job the armed deadline is for, or -1. */
  get deadlineKey(): number {
    return this.#deadlineKey;
  }
  /** Why the worker is dying, when it managed to say so (a child's uncaught exception). */
  get fatal(): string | null {
    return this.#fatal;
  }

  /**
   * Queues `job` for this worker (its module's DEFINE first, if the worker has not seen `ref`), to
   * be sent with the next `flush()`. Returns how many jobs it has been given.
   */
  give(job: PoolJob, ref: number): number {
    if (this.#knownRefs[ref] !== true) {
      this.#knownRefs[ref] = true;
      this.#out.push([DEFINE, ref, job.moduleUrl, job.exportName]);
    }
    const seq = this.claimSeq(job.key);
    const args = job.args;
    this.#out.push([RUN, job.key, ref, job.priority, args, job.resultId, job.attempt, job.contextMeta ?? 0, seq]);
    this.#inflight.set(job.key, job);
    if (args instanceof Payload) {
      this.#outChars += args.textLength;
      if (this.#outChars >= BATCH_FLUSH_CHARS) this.flush();
    }
    return ++this.#given;
  }

  /** It said READY (again: nothing changes). It accepts jobs unless it was retired or stopped meanwhile. */
  markReady(): void {
    if (this.#ready) return;
    this.#ready = true;
    this.#accepting = !this.#retiring && !this.#leaving;
    this.lane.workerReady();
  }

  /** It began importing the module of `job`, which it claimed (it said so, or a take-back found it). */
  startLoading(job: PoolJob): void {
    this.#current = job;
    this.#currentStartedAt = -1;
    this.#loadingSince = Date.now();
    if (this.#claimed.size !== 0) this.#claimed.delete(job.key);
  }

  /** It started `job` at `at` (worker clock). */
  startRunning(job: PoolJob, at: number): void {
    this.#current = job;
    this.#currentStartedAt = at;
    this.#currentHeardAt = Date.now();
    if (this.#claimed.size !== 0) this.#claimed.delete(job.key);
    this.#fatal = null; // an earlier uncaught error that user code survived is not this job's
  }

  /** It finished the job `key` at `at` (worker clock): the job, or undefined if it holds none such. */
  finish(key: number, at: number): PoolJob | undefined {
    const job = this.#inflight.get(key);
    if (job === undefined) return undefined;
    this.#inflight.delete(key);
    if (this.#claimed.size !== 0) this.#claimed.delete(key);
    this.#tasksDone++;
    if (this.#current === job) {
      if (this.#currentStartedAt >= 0) this.lane.recordRunTime(at - this.#currentStartedAt);
      this.#current = null;
      this.clearDeadline();
    }
    return job;
  }

  /**
   * It holds the job `key` no more without having finished it (it dropped it, it could not be sent,
   * or the pool gives up on it): the job, or undefined if it holds none such.
   */
  release(key: number): PoolJob | undefined {
    const job = this.#inflight.get(key);
    if (job === undefined) return undefined;
    this.#inflight.delete(key);
    this.#claimed.delete(key);
    if (this.#current === job) {
      this.#current = null;
      this.clearDeadline();
    }
    return job;
  }

  /** The pool asked for the job `key` back; the answer is pending. */
  markWithdrawing(key: number): void {
    this.#withdrawing.add(key);
  }

  /** The answer about the job `key` came. */
  withdrawAnswered(key: number): void {
    this.#withdrawing.delete(key);
  }

  /** The worker turned out to have claimed the job `key` (a take-back lost), and the pool has not heard of its start yet. */
  markClaimed(key: number): void {
    this.#claimed.add(key);
  }

  /** The job `key`, with claim `seq`, was taken back before it started: it no longer counts as given. */
  takenBack(key: number, seq: number): void {
    this.#inflight.delete(key);
    // It may be handed to this worker again, under a new seq: the old slot must not look held.
    this.releaseSeq(seq);
    this.#given--;
  }

  /**
   * Lets go of everything it holds (its exit, or close() past its deadline): the jobs, in no
   * particular order. Its current job, if any, is among them unless it was released first.
   */
  empty(): PoolJob[] {
    const held = [...this.#inflight.values()];
    this.#inflight.clear();
    this.#current = null;
    this.#withdrawing.clear();
    this.#claimed.clear();
    this.clearDeadline();
    return held;
  }

  reportFatal(reason: string): void {
    this.#fatal = reason;
  }

  reportMemory(mb: number): void {
    this.#rssMb = mb;
  }

  /** It holds nothing from now on. */
  markIdle(now: number): void {
    this.#idleSince = now;
  }

  /** It takes no new job from now on, and is to be told to exit once it holds nothing. */
  retire(): void {
    this.#accepting = false;
    this.#retiring = true;
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
      if (holder !== -1 && this.#inflight.has(holder)) continue;
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
    const current = this.#current;
    const running = current !== null && !this.#withdrawing.has(current.key) && !this.#claimed.has(current.key) ? 1 : 0;
    return this.#inflight.size - running - this.#withdrawing.size - this.#claimed.size;
  }

  /** Sends the frames queued by `give()` as one batch. */
  flush(): void {
    if (this.#out.length === 0) return;
    const frames = this.#out;
    this.#out = [];
    this.#outChars = 0;
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
        if (f[0] === RUN) this.#onUnsendable(f[1] as number, error);
      }
    }
  }

  /** Arms the deadline of the job `key` (replacing any other): past `ms`, `onExpire` runs. */
  armDeadline(key: number, ms: number, onExpire: () => void): void {
    this.clearDeadline();
    this.#deadlineKey = key;
    this.#deadline = setTimeout(() => {
      this.#deadline = null;
      onExpire();
    }, ms).unref();
  }

  clearDeadline(): void {
    if (this.#deadline === null) return;
    clearTimeout(this.#deadline);
    this.#deadline = null;
    this.#deadlineKey = -1;
  }

  /** Marks it as on its way out (once), so that a replacement may be forked at once. */
  leave(): void {
    this.#accepting = false;
    if (this.#leaving) return;
    this.#leaving = true;
    this.lane.workerLeaving();
  }

  /** Tells it to exit (it is on its way out from now on); it is killed if still there `graceMs` later. */
  askToExit(graceMs: number): void {
    this.leave();
    this.worker.send([[EXIT]]);
    this.#exitTimer = setTimeout(() => this.worker.terminate(), graceMs).unref();
  }

  /** Its exit arrived: it takes nothing more, and its timers stop. */
  markDead(): void {
    this.#dead = true;
    this.#accepting = false;
    this.clearDeadline();
    if (this.#exitTimer !== null) clearTimeout(this.#exitTimer);
  }

  /** Its exit was handled: `exited` resolves. */
  markExited(): void {
    this.#resolveExited();
  }
}
