import { KeepAlive } from "./keep-alive.ts";
import type { SlotLane } from "./worker-slot.ts";

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * `minWorkers` at start-up: the pool forks that many workers per lane when it is created (capped
 * at the lane's `maxWorkers`), and `ready()` resolves once every lane has them READY. It rejects
 * when a lane gives up starting workers (MAX_STARTUP_FAILURES in a row) or the pool closes first.
 * While someone waits, Node is kept alive: the workers themselves are unref'd, and an awaited
 * `ready()` in a script must not end with Node exiting under it.
 */
export class WarmUp {
  readonly #lanes: readonly SlotLane[];
  readonly #minWorkers: number;
  readonly #keepAlive = new KeepAlive();
  /** Lanes whose start-ups failed MAX_STARTUP_FAILURES times in a row: not re-forked on their own. */
  readonly #gaveUp = new Map<SlotLane, Error>();
  #waiters: Waiter[] = [];
  #closed: Error | null = null;

  constructor(lanes: readonly SlotLane[], minWorkers: number) {
    this.#lanes = lanes;
    this.#minWorkers = minWorkers;
  }

  /** Workers the lane keeps started even with nothing to do (0 once it gave up or the pool closes). */
  floor(lane: SlotLane): number {
    if (this.#closed !== null || this.#gaveUp.has(lane)) return 0;
    return Math.min(this.#minWorkers, lane.maxWorkers);
  }

  /** Resolves once every lane has its `floor` of READY workers. */
  ready(): Promise<void> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    const failed = this.#gaveUp.values().next();
    if (!failed.done) return Promise.reject(failed.value);
    if (this.#isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#keepAlive.set(true);
    });
  }

  /** A worker of `lane` said READY: the lane forks on its own again, and waiters may be done. */
  workerReady(lane: SlotLane): void {
    this.#gaveUp.delete(lane);
    if (this.#waiters.length !== 0 && this.#isReady()) this.#settle(null);
  }

  /** The lane stopped forking after start-up failures: waiters learn why. */
  gaveUp(lane: SlotLane, error: Error): void {
    this.#gaveUp.set(lane, error);
    this.#settle(error);
  }

  /** The pool closes: no more warming, and waiters are told. */
  close(error: Error): void {
    this.#closed = error;
    this.#settle(error);
    this.#keepAlive.dispose();
  }

  #isReady(): boolean {
    for (const lane of this.#lanes) {
      let ready = 0;
      for (const slot of lane.workers) if (slot.ready && !slot.leaving) ready++;
      if (ready < this.floor(lane)) return false;
    }
    return true;
  }

  #settle(error: Error | null): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    this.#keepAlive.set(false);
    for (const w of waiters) error === null ? w.resolve() : w.reject(error);
  }
}
