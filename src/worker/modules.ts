import { readTaskBrand, type TaskBrand } from "../brand.ts";
import { TaskModuleError } from "../errors.ts";
import { type TaskError, toTaskError } from "../task-error.ts";
import { ensureTypeScript, isTypeScriptPath } from "../typescript.ts";

/** Loading state of one task export. */
export const UNLOADED = 0;
export const LOADING = 1;
export const LOADED = 2;
export const BROKEN = 3;

/** One task export the parent named with a numeric ref. */
export interface TaskEntry {
  readonly url: string;
  readonly exportName: string;
  state: typeof UNLOADED | typeof LOADING | typeof LOADED | typeof BROKEN;
  /** Set once LOADED. */
  brand: TaskBrand | null;
  /** The exported task object (what `context.taskResult.task` shows). */
  exported: unknown;
  /** Set once BROKEN: every job of this export fails with it, without another import attempt. */
  error: TaskError | null;
  loading: Promise<void> | null;
}

/**
 * The task exports this worker knows, by ref. A failed import is remembered per module URL, so one
 * bad deploy costs one import attempt per worker, not one per job, and the worker stays alive for
 * other modules.
 */
export class ModuleTable {
  readonly #entries: (TaskEntry | undefined)[] = [];
  readonly #imports = new Map<string, Promise<Record<string, unknown>>>();
  /** How each import ended, once it has: another export of the module then resolves at once. */
  readonly #settled = new Map<string, { namespace: Record<string, unknown> } | { cause: unknown }>();

  define(ref: number, url: string, exportName: string): void {
    this.#entries[ref] = {
      url,
      exportName,
      state: UNLOADED,
      brand: null,
      exported: undefined,
      error: null,
      loading: null,
    };
  }

  /**
   * The entry of `ref`. One whose module was already imported (for another export) is resolved
   * here, synchronously: no import, so nothing for the pool to time or to wait for.
   */
  get(ref: number): TaskEntry {
    const entry = this.#entries[ref];
    if (entry !== undefined) {
      if (entry.state === UNLOADED) {
        const settled = this.#settled.get(entry.url);
        if (settled !== undefined) {
          if ("namespace" in settled) resolveExport(entry, settled.namespace);
          else breakEntry(entry, importError(entry, settled.cause), settled.cause);
        }
      }
      return entry;
    }
    // Only a protocol bug gets here; fail the job rather than the worker.
    const error = toTaskError(new TaskModuleError(`Internal error: unknown task ref ${ref}`));
    return { url: "", exportName: "", state: BROKEN, brand: null, exported: undefined, error, loading: null };
  }

  /** Imports the entry's module; the entry ends LOADED or BROKEN, never rejected. */
  load(entry: TaskEntry): Promise<void> {
    if (entry.loading === null) {
      entry.state = LOADING;
      entry.loading = this.#import(entry.url).then(
        (namespace) => {
          this.#settled.set(entry.url, { namespace });
          resolveExport(entry, namespace);
        },
        (cause: unknown) => {
          this.#settled.set(entry.url, { cause });
          breakEntry(entry, importError(entry, cause), cause);
        },
      );
    }
    return entry.loading;
  }

  #import(url: string): Promise<Record<string, unknown>> {
    let pending = this.#imports.get(url);
    if (pending === undefined) {
      const ts = isTypeScriptPath(url) ? ensureTypeScript() : Promise.resolve();
      pending = ts.then(() => import(url) as Promise<Record<string, unknown>>);
      this.#imports.set(url, pending);
    }
    return pending;
  }
}

function importError(entry: TaskEntry, cause: unknown): TaskModuleError {
  return new TaskModuleError(
    `Cannot import task module ${entry.url} (export '${entry.exportName}'): ${describe(cause)}`,
  );
}

function resolveExport(entry: TaskEntry, namespace: Record<string, unknown>): void {
  if (!Object.hasOwn(namespace, entry.exportName)) {
    breakEntry(entry, new TaskModuleError(`Task module ${entry.url} has no export '${entry.exportName}'`), null);
    return;
  }
  const exported = namespace[entry.exportName];
  const brand = readTaskBrand(exported);
  if (brand === undefined) {
    const what = exported === null ? "null" : typeof exported;
    breakEntry(
      entry,
      new TaskModuleError(
        `Export '${entry.exportName}' of ${entry.url} is not a task (got ${what}); define it with task()`,
      ),
      null,
    );
    return;
  }
  entry.brand = brand;
  entry.exported = exported;
  entry.state = LOADED;
}

function breakEntry(entry: TaskEntry, error: TaskModuleError, cause: unknown): void {
  if (cause !== null) {
    // The cause's own stack is what tells the user where their module went wrong.
    (error as { cause?: unknown }).cause = cause;
    const causeStack = cause instanceof Error && typeof cause.stack === "string" ? cause.stack : describe(cause);
    error.stack = `${error.stack ?? error.message}\nCaused by: ${causeStack}`;
  }
  entry.error = toTaskError(error);
  entry.state = BROKEN;
}

function describe(thrown: unknown): string {
  if (thrown instanceof Error || (typeof thrown === "object" && thrown !== null && "message" in thrown)) {
    const err = thrown as Error;
    return `${err.name || "Error"}: ${err.message}`;
  }
  return String(thrown);
}
