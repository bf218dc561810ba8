import type { DatabaseBackend } from "../backends/database.ts";
import { configuredSchedules } from "../config.ts";
import { type Clock, systemClock } from "../schedules/clock.ts";
import { driveFromParent, testClockFromEnv } from "../schedules/ipc-clock.ts";
import { ScheduleRunner } from "../schedules/runner.ts";

/** What the worker command needs to stop its schedules. */
export interface WorkerSchedules {
  /** Evaluates nothing more; resolves once the evaluation under way has finished. */
  stop(): Promise<void>;
}

/**
 * Starts evaluating the schedules configured on the worker's backend alias, through the database's
 * slot ledger, so any number of workers enqueue each slot once. Null when the alias has none.
 */
export function startWorkerSchedules(
  alias: string,
  backend: DatabaseBackend,
  log: (level: 0 | 1 | 2, line: string) => void,
): WorkerSchedules | null {
  const schedules = configuredSchedules().get(alias) ?? [];
  if (schedules.length === 0) return null;
  const test = testClockFromEnv();
  const clock: Clock = test?.clock ?? systemClock;
  const ledger = backend.slotLedger();
  const runner = new ScheduleRunner({
    schedules: schedules.map((schedule) => ({ alias, schedule, ledger })),
    clock,
    onSlot(schedule, slotAt, outcome) {
      const at = new Date(slotAt).toISOString();
      if (outcome === "enqueued") log(1, `Schedule ${schedule.name}: enqueued the slot due ${at}.`);
      else log(2, `Schedule ${schedule.name}: the slot due ${at} was already enqueued.`);
    },
    onError(error, schedule, slotAt) {
      const slot = slotAt === null ? "" : ` the slot due ${new Date(slotAt).toISOString()}`;
      log(0, `Schedule ${schedule.name}: could not enqueue${slot} (tried again later): ${(error as Error).message}`);
    },
  });
  const undrive = test === null ? null : driveFromParent(clock, () => runner.idle());
  log(1, `Evaluating ${schedules.length} schedule(s): ${schedules.map((s) => s.name).join(", ")}.`);
  runner.start();
  return {
    async stop() {
      undrive?.();
      await runner.stop();
    },
  };
}
