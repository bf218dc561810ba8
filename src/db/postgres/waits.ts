import { TaskStoreError } from "../../errors.ts";
import type { TaskRow } from "../store.ts";
import type { PgListener } from "./listener.ts";

/** The backstop poll of a wait: slow, because a finish notification normally wakes it first. */
const FIRST_POLL_MS = 1000;
const MAX_POLL_MS = 5000;

interface Waiter {
  woken: boolean;
  wake: (() => void) | undefined;
  fail: (error: unknown) => void;
}

/**
 * `waitFinished` for one store: waiters keyed by result id, woken by the finished channel (payload:
 * ids, comma-separated), each with a slow poll in case a notification was lost (the LISTEN
 * connection was down). The channel is LISTENed to only while somebody waits, so processes that
 * never wait are not sent every finish in the cluster. A waiting poll timer is ref'd: a script
 * awaiting `result.wait()` stays alive until it has its answer.
 */
export class FinishedWaits {
  private readonly waiting = new Map<string, Set<Waiter>>();
  private subscription: { ready: Promise<void>; unsubscribe: () => void } | undefined;

  private readonly listener: PgListener;
  private readonly channel: string;
  private readonly read: (id: string) => Promise<TaskRow | null>;

  constructor(listener: PgListener, channel: string, read: (id: string) => Promise<TaskRow | null>) {
    this.listener = listener;
    this.channel = channel;
    this.read = read;
  }

  async wait(id: string, signal: AbortSignal | undefined, location: string): Promise<TaskRow> {
    signal?.throwIfAborted();
    const waiter: Waiter = { woken: false, wake: undefined, fail: () => {} };
    this.add(id, waiter);
    try {
      // Listening before the first read: a finish between the read and the LISTEN is not missed.
      await this.subscription?.ready;
      let delay = FIRST_POLL_MS;
      for (;;) {
        signal?.throwIfAborted();
        waiter.woken = false;
        const row = await this.read(id);
        if (!row)
          throw new TaskStoreError(`PostgreSQL ${location}: no task row ${id} (it was never stored, or was pruned)`);
        if (row.status === "SUCCESSFUL" || row.status === "FAILED") return row;
        if (!waiter.woken) await this.sleep(waiter, delay, signal);
        delay = Math.min(MAX_POLL_MS, delay * 1.5);
      }
    } finally {
      this.remove(id, waiter);
    }
  }

  /** The waiters of `id` read their row again (this process finished it). */
  wake(id: string): void {
    for (const waiter of this.waiting.get(id) ?? []) this.wakeOne(waiter);
  }

  /** Every waiter reads its row again (after the LISTEN connection came back). */
  wakeAll(): void {
    for (const set of this.waiting.values()) for (const waiter of set) this.wakeOne(waiter);
  }

  closeAll(error: TaskStoreError): void {
    for (const set of this.waiting.values()) for (const waiter of set) waiter.fail(error);
  }

  private sleep(waiter: Waiter, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        waiter.wake = undefined;
        waiter.fail = () => {};
      };
      const onAbort = () => {
        done();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        done();
        resolve();
      }, ms);
      waiter.wake = () => {
        done();
        resolve();
      };
      waiter.fail = (error) => {
        done();
        reject(error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private wakeOne(waiter: Waiter): void {
    waiter.woken = true;
    waiter.wake?.();
  }

  private add(id: string, waiter: Waiter): void {
    let set = this.waiting.get(id);
    if (!set) {
      set = new Set();
      this.waiting.set(id, set);
    }
    set.add(waiter);
    this.subscription ??= this.listener.subscribe(this.channel, (payload) => {
      for (const finished of payload.split(",")) {
        const waiters = this.waiting.get(finished);
        if (waiters) for (const w of waiters) this.wakeOne(w);
      }
    });
  }

  private remove(id: string, waiter: Waiter): void {
    const set = this.waiting.get(id);
    set?.delete(waiter);
    if (set?.size === 0) this.waiting.delete(id);
    if (this.waiting.size === 0 && this.subscription) {
      this.subscription.unsubscribe();
      this.subscription = undefined;
    }
  }
}
