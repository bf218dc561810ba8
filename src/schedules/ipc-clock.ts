import type { Clock } from "./clock.ts";
import { ManualClock } from "./manual-clock.ts";

/**
 * The environment variable that makes `tasklane worker` evaluate its schedules with a clock its
 * parent process drives instead of the real one: the value is the clock's start (an ISO time or
 * epoch ms), and the worker must have been started with an IPC channel (`fork`, or `spawn` with
 * `stdio: [..., "ipc"]`). For tests of several real workers over many slots, which must not sleep
 * through real minutes. Not for production: with it set, schedules fire only when told.
 */
export const TEST_CLOCK_ENV = "TASKLANE_TEST_CLOCK";

/** The parent → worker message: move the clock to `to` (epoch ms). */
export interface AdvanceMessage {
  readonly tasklaneClock: "advance";
  readonly to: number;
}

/**
 * The worker → parent messages: "ready" once it listens (messages sent before are lost), then
 * "advanced" after each move, once every timer due by then has fired and its evaluation finished.
 */
export interface ClockReply {
  readonly tasklaneClock: "ready" | "advanced";
  readonly now: number;
}

/** The clock named by `TASKLANE_TEST_CLOCK`, or null when it is not set. */
export function testClockFromEnv(env: NodeJS.ProcessEnv = process.env): { clock: Clock; start: number } | null {
  const value = env[TEST_CLOCK_ENV];
  if (value === undefined || value === "") return null;
  const start = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(start))
    throw new RangeError(`${TEST_CLOCK_ENV}: '${value}' is not a time (ISO 8601 or epoch ms)`);
  if (process.send === undefined) {
    throw new Error(`${TEST_CLOCK_ENV} is set but this process has no IPC channel to be driven through`);
  }
  return { clock: new ManualClock(start), start };
}

/**
 * Moves `clock` when the parent says so; after each move, waits for `settled` (the runner's
 * evaluation) and replies. Advances are handled one at a time, in order. The channel does not keep
 * the process alive.
 */
export function driveFromParent(clock: Clock, settled: () => Promise<void>): () => void {
  const manual = clock as ManualClock;
  let chain = Promise.resolve();
  const onMessage = (message: unknown) => {
    const m = message as Partial<AdvanceMessage> | null;
    if (m?.tasklaneClock !== "advance" || typeof m.to !== "number") return;
    const to = m.to;
    chain = chain.then(async () => {
      // Also when `to` is now: the first evaluation waits on a timer due at the start.
      if (to >= manual.now()) await manual.advanceTo(to);
      await settled();
      const reply: ClockReply = { tasklaneClock: "advanced", now: manual.now() };
      process.send?.(reply);
    });
  };
  process.on("message", onMessage);
  process.channel?.unref();
  const ready: ClockReply = { tasklaneClock: "ready", now: manual.now() };
  process.send?.(ready);
  return () => process.off("message", onMessage);
}
