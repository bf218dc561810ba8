import type { AnyTask } from "../task.ts";
import { taskExports, taskFromNamespace } from "../task-loader.ts";
import { CliError } from "./errors.ts";
import { importFile } from "./import-module.ts";
import type { ModulePath } from "./module-path.ts";

/**
 * Imports the module of `ref` and returns the task it exports under `ref.exportName`, by the task
 * loader's rules (and words), with the module's task exports as a hint.
 * @throws CliError (exit 2) when the module cannot be imported or the export is not a task.
 */
export async function findTask(ref: ModulePath): Promise<AnyTask> {
  const ns = await importFile(ref.file, "task module");
  try {
    return taskFromNamespace(ns, ref.file, ref.exportName);
  } catch (error) {
    const tasks = taskExports(ns);
    const hint = tasks.length === 0 ? "The module exports no tasks." : `Its task exports: ${tasks.join(", ")}.`;
    throw new CliError(`${(error as Error).message}. ${hint}`, undefined, { cause: error });
  }
}
