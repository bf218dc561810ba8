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
  const where = `(configuration of '${alias}')`;
  if (!Array.isArray(schedules)) {
    throw new InvalidSchedule(`schedules must be an array of schedule declarations ${where}.`);
  }
  const out: Schedule[] = [];
  for (const declaration of schedules) {
    let checked: Schedule;
    try {
      checked = checkSchedule(declaration);
    } catch (error) {
      throw new InvalidSchedule(`${(error as Error).message} ${where}`, { cause: error });
    }
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
        `Schedule '${checked.name}': queueName '${queue}'${whose} is not one of the queues of '${alias}' ` +
          `(${queues.join(", ")}).`,
      );
    }
    out.push(checked);
  }
  return Object.freeze(out);
}
