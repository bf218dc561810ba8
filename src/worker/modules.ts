import { readTaskBrand, type TaskBrand } from "../brand.ts";
import { TaskModuleError } from "../errors.ts";
import type { AnyTask } from "../task.ts";
import { type TaskError, toTaskError } from "../task-error.ts";
import { importError, importModule, type ModuleNamespace, taskFromNamespace } from "../task-loader.ts";

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
  readonly #imports = new Map<string, Promise<ModuleNamespace>>();
  /** How each import ended, once it has: another export of the module then resolves at once. */
  readonly #settled = new Map<string, { namespace: ModuleNamespace } | { cause: unknown }>();

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
          else breakEntry(entry, importError(entry.url, entry.exportName, settled.cause));
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
          breakEntry(entry, importError(entry.url, entry.exportName, cause));
        },
      );
    }
    return entry.loading;
  }

  #import(url: string): Promise<ModuleNamespace> {
    let pending = this.#imports.get(url);
    if (pending === undefined) {
      pending = importModule(url);
      this.#imports.set(url, pending);
    }
    return pending;
  }
}

function resolveExport(entry: TaskEntry, namespace: ModuleNamespace): void {
  let exported: AnyTask;
  try {
    exported = taskFromNamespace(namespace, entry.url, entry.exportName);
  } catch (error) {
    breakEntry(entry, error);
    return;
  }
  entry.brand = readTaskBrand(exported)!;
  entry.exported = exported;
  entry.state = LOADED;
}

function breakEntry(entry: TaskEntry, error: unknown): void {
  entry.error = toTaskError(error);
  entry.state = BROKEN;
}
