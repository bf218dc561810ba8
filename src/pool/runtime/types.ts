import type { WithdrawResult } from "../../wire/claims.ts";

/** How a worker ended, as its runtime reports it. */
export interface WorkerExit {
  /** Exit code, or null when a signal ended a child process. */
  readonly code: number | null;
  /** The signal that ended a child process, else null. */
  readonly signal: string | null;
  /**
   * What the runtime knows of the cause (a thread's uncaught error, a failed spawn, a malformed
   * frame it sent), else null.
   */
  readonly reason: string | null;
}

/** What a runtime reports about one worker. */
export interface RuntimeHooks {
  /** Batches of frames the worker sent; a reader hands over everything it parsed from one read. */
  onBatches(batches: readonly unknown[][]): void;
  /** The worker is gone and every frame it sent has been delivered. Called exactly once. */
  onExit(exit: WorkerExit): void;
  /** What became of an asynchronous `withdraw` (a child's control thread answered). */
  onWithdrawn(seq: number, result: WithdrawResult): void;
}

/** One worker as the pool drives it, whatever runs it. */
export interface RuntimeWorker {
  /** `String(pid)` or `thread-<threadId>`. */
  readonly id: string;
  readonly pid: number | null;
  readonly threadId: number | null;
  /** Sends one batch of frames as one write / one message. */
  send(frames: readonly unknown[]): void;
  /**
   * Asks the worker to stop: SIGTERM (a child finishes and reports its current job, then exits),
   * SIGKILL if it is still there after a grace period; `worker.terminate()` for a thread. A child's
   * signals go to its whole process group.
   */
  kill(): void;
  /** Ends the worker at once, whatever it is doing: SIGKILL (to a child's group), or `worker.terminate()`. */
  terminate(): void;
  /**
   * Tries to take back buffered jobs by their claim `seqs` (`evenImporting`: also one whose module
   * is being imported; a cancel). A thread's claim words are shared with the pool, which decides at
   * once: the results, in order. A child's are not: null, and the results come to
   * `RuntimeHooks.onWithdrawn` within a round trip of its control thread, busy main thread or not.
   */
  withdraw(seqs: readonly number[], evenImporting: boolean): WithdrawResult[] | null;
  /** Whether part of a frame has arrived and waits for the rest (a decision should wait for it too). */
  hasPendingInput(): boolean;
  /** "Worker process 1234 exited with code 3 (signal none)" or "Worker thread 7 exited with code 1" (no reason). */
  describeExit(exit: WorkerExit): string;
}

/** Starts workers of one kind. */
export interface Runtime {
  /**
   * Starts a worker; the hooks receive its frames and its exit. Never keeps the event loop alive by
   * itself (the pool holds its own handle while it has work).
   * @throws when the worker cannot even be created (e.g. flags a worker thread rejects).
   */
  spawn(hooks: RuntimeHooks): RuntimeWorker;
}
