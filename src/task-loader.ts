import { readTaskBrand } from "./brand.ts";
import { TaskModuleError } from "./errors.ts";
import type { AnyTask } from "./task.ts";
import { ensureTypeScript, isTypeScriptPath } from "./typescript.ts";

/**
 * The one way from a module path back to a task: enqueue's export check, the CLI, the pool workers
 * and the database worker all come through here, so they agree on what counts as a task and say
 * the same thing when it is not one. Tasks are recognised by their brand, not `instanceof`: the
 * module may load another copy of tasklane (dist beside src, or a second install).
 */

/** A module path split into its parts. */
export interface ModuleRef {
  readonly moduleUrl: string;
  readonly exportName: string;
}

/**
 * Splits `moduleUrl#exportName` at its last `#` (a URL may contain `#` nowhere else that matters:
 * module URLs carry no fragment of their own).
 * @throws TaskModuleError when either part is missing.
 */
export function splitModulePath(modulePath: string): ModuleRef {
  const hash = modulePath.lastIndexOf("#");
  if (hash <= 0 || hash === modulePath.length - 1) {
    throw new TaskModuleError(`Not a task module path: '${modulePath}' (expected moduleUrl#exportName).`);
  }
  return { moduleUrl: modulePath.slice(0, hash), exportName: modulePath.slice(hash + 1) };
}

const imports = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Imports `moduleUrl` (registering tsx first for a TypeScript module) and returns the task it
 * exports as `exportName`. A module is imported once per process; a failed import is retried on the
 * next call (the file may have been fixed meanwhile).
 * @throws TaskModuleError naming the module, the export and what went wrong (the import's own
 *   error as `cause`).
 */
export async function loadTask(moduleUrl: string, exportName: string): Promise<AnyTask> {
  const namespace = await importModule(moduleUrl, exportName);
  return taskFromNamespace(namespace, moduleUrl, exportName);
}

/** The task `exportName` of an already imported module namespace. @throws TaskModuleError */
export function taskFromNamespace(namespace: Record<string, unknown>, moduleUrl: string, exportName: string): AnyTask {
  if (!Object.hasOwn(namespace, exportName)) {
    throw new TaskModuleError(`Task module ${moduleUrl} has no export '${exportName}'`);
  }
  const exported = namespace[exportName];
  if (readTaskBrand(exported) === undefined) {
    const what = exported === null ? "null" : typeof exported;
    throw new TaskModuleError(
      `Export '${exportName}' of ${moduleUrl} is not a task (got ${what}); define it with task()`,
    );
  }
  return exported as AnyTask;
}

function importModule(moduleUrl: string, exportName: string): Promise<Record<string, unknown>> {
  let pending = imports.get(moduleUrl);
  if (pending === undefined) {
    const ts = isTypeScriptPath(moduleUrl) ? ensureTypeScript() : Promise.resolve();
    pending = ts
      .then(() => import(moduleUrl) as Promise<Record<string, unknown>>)
      .catch((cause: unknown) => {
        imports.delete(moduleUrl);
        throw importError(moduleUrl, exportName, cause);
      });
    imports.set(moduleUrl, pending);
  }
  return pending;
}

/** The error for a module that could not be imported; its stack ends with the cause's own. */
export function importError(moduleUrl: string, exportName: string, cause: unknown): TaskModuleError {
  const error = new TaskModuleError(
    `Cannot import task module ${moduleUrl} (export '${exportName}'): ${describeThrown(cause)}`,
    { cause },
  );
  // The cause's stack is what tells the user where their module went wrong.
  const causeStack = cause instanceof Error && typeof cause.stack === "string" ? cause.stack : describeThrown(cause);
  error.stack = `${error.stack ?? error.message}\nCaused by: ${causeStack}`;
  return error;
}

/** `TypeError: boom` for an error (of any realm), `String(value)` for anything else. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error || (typeof thrown === "object" && thrown !== null && "message" in thrown)) {
    const err = thrown as Error;
    return `${err.name || "Error"}: ${err.message}`;
  }
  try {
    return String(thrown);
  } catch {
    return Object.prototype.toString.call(thrown);
  }
}
