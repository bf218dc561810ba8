import { InvalidSchedule } from "../errors.ts";
import { checkSchedule, type Schedule } from "./declaration.ts";

/**
 * Checks the `schedules` of one backend's configuration entry, as `configure()` does: each
 * declaration, its queue against the backend's queues, and its name against every name seen so far
 * in the configuration (`seen`: name → alias), because a slot is identified by the name alone.
 * @throws InvalidSchedule naming the schedule, the field and the alias.
 */
export function checkScheduleList(
  alias: string,
  schedules: unknown,
  queues: readonly string[],
  seen: Map<string, string>,
): readonly Schedule[] {
  if (!Array.isArray(schedules)) {
    throw new InvalidSchedule(`Configuration of '${alias}': schedules must be an array of schedule declarations.`);
  }
  const out: Schedule[] = [];
  for (const declaration of schedules) {
    const checked = checkSchedule(declaration, ` of backend '${alias}'`);
    const other = seen.get(checked.name);
    if (other !== undefined) {
      const under = other === alias ? `twice under '${alias}'` : `under both '${other}' and '${alias}'`;
      throw new InvalidSchedule(
        `Schedule '${checked.name}' is declared ${under}: a schedule's name identifies its slots, so it must be unique.`,
      );
    }
    seen.set(checked.name, alias);
    const queue = checked.queueName ?? checked.task.queueName;
    if (queues.length > 0 && !queues.includes(queue)) {
      const whose = checked.queueName === null ? ` (the queue of ${checked.task.modulePath})` : "";
      throw new InvalidSchedule(
        `Schedule '${checked.name}' of backend '${alias}': queueName '${queue}'${whose} is not one of its queues ` +
          `(${queues.join(", ")}).`,
      );
    }
    out.push(checked);
  }
  return Object.freeze(out);
}
