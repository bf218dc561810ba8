import { dirname } from "node:path";
import { CliError } from "./errors.ts";
import { findTask } from "./find-task.ts";
import { parseModulePath } from "./module-path.ts";

/**
 * Replaces each schedule's `task` written as a module path (`"./tasks.ts#report"`, relative to the
 * config file, as the CLI resolves every module path) by the task it names. Everything else about
 * the schedules, configure() checks in its own words.
 * @throws CliError (exit 2) naming the file, the schedule and the alias when the task cannot be found.
 */
export async function resolveScheduleTasks(file: string, alias: string, entry: unknown): Promise<unknown> {
  const schedules = (entry as { schedules?: unknown } | null)?.schedules;
  if (!Array.isArray(schedules)) return entry;
  const resolved: unknown[] = [];
  for (const declaration of schedules) {
    const task = (declaration as { task?: unknown } | null)?.task;
    if (typeof task !== "string") {
      resolved.push(declaration);
      continue;
    }
    const name = (declaration as { name?: unknown }).name;
    try {
      const found = await findTask(parseModulePath(task, dirname(file), "Task module"));
      resolved.push({ ...(declaration as object), task: found });
    } catch (error) {
      throw new CliError(
        `Invalid config file ${file}: schedule '${String(name)}' of '${alias}': ${(error as Error).message}`,
        undefined,
        { cause: error },
      );
    }
  }
  return { ...(entry as object), schedules: resolved };
}
