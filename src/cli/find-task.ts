import { readTaskBrand } from "../brand.ts";
import type { AnyTask } from "../task.ts";
import { CliError, describeKind } from "./errors.ts";
import { importFile, type ModuleNamespace } from "./import-module.ts";
import type { ModulePath } from "./module-path.ts";

/**
 * Imports the module of `ref` and returns the task it exports under `ref.exportName`. Tasks are
 * recognised by their brand, not `instanceof`: the module may load another copy of tasklane.
 * @throws CliError (exit 2) when the module cannot be imported or the export is not a task.
 */
export async function findTask(ref: ModulePath): Promise<AnyTask> {
  const ns = await importFile(ref.file, "task module");
  const name = ref.exportName;
  if (!Object.hasOwn(ns, name)) {
    throw new CliError(`Task module ${ref.file} has no export '${name}'. ${describeTaskExports(ns)}`);
  }
  const exported = ns[name];
  if (readTaskBrand(exported) === undefined) {
    throw new CliError(
      `Export '${name}' of ${ref.file} is not a task (it is ${describeKind(exported)}); define it with ` +
        `\`export const ${name} = task(import.meta, function ${name}(…) {…})\`. ${describeTaskExports(ns)}`,
    );
  }
  return exported as AnyTask;
}

function describeTaskExports(ns: ModuleNamespace): string {
  const tasks = Object.keys(ns).filter((key) => readTaskBrand(ns[key]) !== undefined);
  return tasks.length === 0 ? "The module exports no tasks." : `Its task exports: ${tasks.join(", ")}.`;
}
