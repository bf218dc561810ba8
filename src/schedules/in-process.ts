import { configurationSignal, configuredSchedules, getBackend } from "../config.ts";
import { InvalidSchedule } from "../errors.ts";
import type { Clock } from "./clock.ts";
import { ledgerOf, MemorySlotLedger, type SlotLedger } from "./ledger.ts";
import { type ScheduledOn, ScheduleRunner } from "./runner.ts";

/** Options of `startSchedules()`. */
export interface StartSchedulesOptions {
  /**
   * Evaluate only the schedules of these backend aliases.
   * @defaultValue every configured alias that has schedules
   */
  readonly aliases?: readonly string[];
  /**
   * Where time comes from; a `ManualClock` in tests.
   * @defaultValue the system clock
   */
  readonly clock?: Clock;
  /**
   * Records the slots of in-memory backends.
   * @defaultValue a new `MemorySlotLedger` (a backend with its own ledger, the database backend, always uses that one)
   */
  readonly ledger?: SlotLedger;
  /** Told when a slot could not be enqueued. @defaultValue a process warning */
  readonly onError?: (error: unknown, schedule: ScheduledOn["schedule"], slotAt: number | null) => void;
}

let active: ScheduleRunner | null = null;

/**
 * Starts firing the configured schedules in this process: each slot's task is enqueued on the
 * backend whose configuration lists the schedule, with a timer that does not keep Node alive.
 * Only the process that calls this fires them, so `tasklane run`, pool workers and other tools
 * loading the same configuration never do. With the in-memory backends (pools, immediate) slots are
 * recorded in this process only: two processes calling it both fire every slot.
 *
 * `configure()` and `closeAll()` stop the runner (its declarations and backends belong to the
 * configuration they replace or close); call this again after a new `configure()`.
 * @throws InvalidSchedule when an alias in `aliases` has no schedules, or schedules already run in this process.
 */
export function startSchedules(options: StartSchedulesOptions = {}): ScheduleRunner {
  if (active?.running) {
    throw new InvalidSchedule(
      "Schedules already run in this process; stop() the runner startSchedules() returned before starting another " +
        "(two runners would fire every slot twice).",
    );
  }
  const configured = configuredSchedules();
  const aliases = options.aliases ?? [...configured.keys()];
  const fallback = options.ledger ?? new MemorySlotLedger();
  const schedules: ScheduledOn[] = [];
  for (const alias of aliases) {
    const list = configured.get(alias);
    if (list === undefined) {
      throw new InvalidSchedule(
        `Backend alias '${alias}' has no schedules; configured with schedules: ${[...configured.keys()].join(", ") || "none"}.`,
      );
    }
    const ledger = ledgerOf(getBackend(alias)) ?? fallback;
    for (const schedule of list) schedules.push({ alias, schedule, ledger });
  }
  const runner = new ScheduleRunner({
    schedules,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  const signal = configurationSignal();
  signal.addEventListener("abort", () => void runner.stop(), { once: true });
  active = runner;
  return runner.start();
}
