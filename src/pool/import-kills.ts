import { TaskModuleError } from "../errors.ts";
import type { Outcome } from "../outcome.ts";
import { toTaskError } from "../task-error.ts";
import type { PoolJob } from "./types.ts";

/**
 * Task modules whose import killed a worker (`process.exit()` at top level, a native crash), by
 * URL, for the life of the pool. A worker caches a module that throws on import itself, but one that
 * kills its worker leaves no worker to remember it: without this, every job of it would cost a fork.
 * Its later jobs fail at once with `TaskModuleError`, without reaching a worker. The memory is never
 * cleared: a worker cannot import a fixed version of an ES module it has loaded either, so a fixed
 * module takes a restart of the application (or a new pool) in any case.
 */
export class ImportKills {
  readonly #how = new Map<string, string>();

  get size(): number {
    return this.#how.size;
  }

  /** Remembers that importing `moduleUrl` killed a worker; `how` says how the worker ended. */
  record(moduleUrl: string, how: string): void {
    if (!this.#how.has(moduleUrl)) this.#how.set(moduleUrl, how);
  }

  /** What a job of a module that killed its worker ends with; undefined for any other job. */
  outcome(job: PoolJob): Outcome | undefined {
    const how = this.#how.get(job.moduleUrl);
    if (how === undefined) return undefined;
    const error = new TaskModuleError(
      `Cannot import task module ${job.moduleUrl} (export '${job.exportName}'): importing it killed its worker earlier (${how}); it is not imported again while this pool runs`,
    );
    return { ok: false, error: toTaskError(error) };
  }
}
