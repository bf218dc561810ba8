/**
 * The one way from a module path back to a task: enqueue's export check, the CLI, the pool workers
 * (and a database worker) all come through here, so they agree on what counts as a task and say the
 * same thing when it is not one. Tasks are recognised by their brand, not `instanceof`: the module
 * may load another copy of tasklane (dist beside src, or a second install).
 */
import { readTaskBrand } from "./brand.ts";
import { TaskModuleError } from "./errors.ts";
import type { AnyTask } from "./task.ts";
import { summarizeThrown } from "./task-error.ts";
import { ensureTypeScript, isTypeScriptPath } from "./typescript.ts";

/** A module's namespace object. */
export type ModuleNamespace = Readonly<Record<string, unknown>>;

/** A module path split into its parts. */
export interface ModuleRef {
  readonly moduleUrl: string;
  readonly exportName: string;
}

/**
 * Splits `moduleUrl#exportName` at its last `#` (module URLs carry no fragment of their own).
 * @throws TaskModuleError when either part is missing.
 */
export function splitModulePath(modulePath: string): ModuleRef {
  const hash = modulePath.lastIndexOf("#");
  if (hash <= 0 || hash === modulePath.length - 1) {
    throw new TaskModuleError(`Not a task module path: '${modulePath}' (expected moduleUrl#exportName)`);
  }
  return { moduleUrl: modulePath.slice(0, hash), exportName: modulePath.slice(hash + 1) };
}

/**
 * Imports a task module, registering tsx first for a TypeScript one. Rejects with the import's own
 * error: each caller decides what a failure costs (a worker remembers it, an enqueue tries again).
 */
export async function importModule(moduleUrl: string): Promise<ModuleNamespace> {
  if (isTypeScriptPath(moduleUrl)) await ensureTypeScript();
  return (await import(moduleUrl)) as ModuleNamespace;
}

/**
 * Imports `moduleUrl` and returns the task it exports as `exportName`.
 * @throws TaskModuleError naming the module, the export and what went wrong (the import's error as `cause`).
 */
export async function loadTask(moduleUrl: string, exportName: string): Promise<AnyTask> {
  let namespace: ModuleNamespace;
  try {
    namespace = await importModule(moduleUrl);
  } catch (cause) {
    throw importError(moduleUrl, exportName, cause);
  }
  return taskFromNamespace(namespace, moduleUrl, exportName);
}

/** The task `exportName` of an imported module. @throws TaskModuleError when it is missing or no task. */
export function taskFromNamespace(namespace: ModuleNamespace, moduleUrl: string, exportName: string): AnyTask {
  if (!Object.hasOwn(namespace, exportName)) {
    throw new TaskModuleError(`Task module ${moduleUrl} has no export '${exportName}'`);
  }
  const exported = namespace[exportName];
  if (readTaskBrand(exported) === undefined) {
    throw new TaskModuleError(
      `Export '${exportName}' of ${moduleUrl} is not a task (it is ${kindOf(exported)}); define it with ` +
        `\`export const ${exportName} = task(import.meta, function ${exportName}(…) {…})\``,
    );
  }
  return exported as AnyTask;
}

/** The error for a module that could not be imported; its stack ends with the cause's own. */
export function importError(moduleUrl: string, exportName: string, cause: unknown): TaskModuleError {
  const error = new TaskModuleError(
    `Cannot import task module ${moduleUrl} (export '${exportName}'): ${summarizeThrown(cause)}`,
    { cause },
  );
  // The cause's stack is what tells the user where their module went wrong.
  const causeStack = cause instanceof Error && typeof cause.stack === "string" ? cause.stack : summarizeThrown(cause);
  error.stack = `${error.stack ?? error.message}\nCaused by: ${causeStack}`;
  return error;
}

/** The names of the tasks a module exports (for a hint after a wrong export name). */
export function taskExports(namespace: ModuleNamespace): string[] {
  return Object.keys(namespace).filter((key) => readTaskBrand(namespace[key]) !== undefined);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
