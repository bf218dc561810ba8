import type { BackendClass, BackendConfig, BaseTaskBackend, CloseOptions } from "./backends/base.ts";
import { builtinBackends } from "./backends/builtins.ts";
import { describeValue, messageOf } from "./describe.ts";
import { InvalidTaskBackend } from "./errors.ts";
import type { Schedule } from "./schedules/declaration.ts";
import { checkScheduleList } from "./schedules/schedule-list.ts";

/** The task configuration: one entry per backend alias (Django's `TASKS` setting). */
export type TasksConfig = Record<string, BackendConfig>;

/** Used until `configure()` is called: a process pool, tasklane's reason to exist. */
export const DEFAULT_CONFIG: TasksConfig = Object.freeze({ default: { backend: "process-pool" } });

let current: TasksConfig | null = null;
const instances = new Map<string, BaseTaskBackend>();
// Backends replaced by a later configure() still finish their work; closeAll() waits for them.
const retiring = new Set<Promise<void>>();
// Ends with the configuration it belongs to (configure() again, or closeAll()): a schedule runner
// started under it stops then, so it never revives closed backends or fires stale declarations.
let generation = new AbortController();

/**
 * Sets the configuration, replacing any earlier one. Backends created under the old configuration
 * are closed in the background (their running work may finish); `closeAll()` waits for that.
 * @throws InvalidTaskBackend when an entry is malformed (an unknown backend is reported on first use);
 *   InvalidSchedule when one of its `schedules` is (a bad cron expression, time zone, argument…).
 */
export function configure(config: TasksConfig): void {
  current = checkConfig(config);
  endGeneration();
  retireInstances();
}

/** Whether `configure()` has been called (tasks are then validated against backends at definition). */
export function isConfigured(): boolean {
  return current !== null;
}

/**
 * The backend instance for an alias, created on first use and kept until `closeAll()` or the next
 * `configure()`.
 * @throws InvalidTaskBackend when the alias is not configured or its backend cannot be loaded.
 */
export function getBackend(alias = "default"): BaseTaskBackend {
  const existing = instances.get(alias);
  if (existing) return existing;
  const config = current ?? DEFAULT_CONFIG;
  const entry = Object.hasOwn(config, alias) ? config[alias] : undefined;
  if (!entry) throw new InvalidTaskBackend(`The connection '${alias}' doesn't exist.`);
  const Backend = resolveBackendClass(alias, entry.backend);
  let instance: BaseTaskBackend;
  try {
    instance = new Backend({ alias, queues: entry.queues ?? ["default"], options: entry.options ?? {} });
  } catch (error) {
    if (error instanceof InvalidTaskBackend) throw error;
    throw new InvalidTaskBackend(`Could not load backend for '${alias}': ${messageOf(error)}`, { cause: error });
  }
  instances.set(alias, instance);
  return instance;
}

/** Closes every backend instance; the next use creates fresh ones from the configuration. */
export async function closeAll(options?: CloseOptions): Promise<void> {
  endGeneration();
  retireInstances(options);
  await Promise.all([...retiring]);
}

/** The schedules configured on each alias (aliases without schedules are left out). */
export function configuredSchedules(): ReadonlyMap<string, readonly Schedule[]> {
  const out = new Map<string, readonly Schedule[]>();
  for (const [alias, entry] of Object.entries(current ?? DEFAULT_CONFIG)) {
    if (entry.schedules !== undefined && entry.schedules.length > 0) out.set(alias, entry.schedules as Schedule[]);
  }
  return out;
}

/** Aborted when `configure()` replaces the current configuration or `closeAll()` closes its backends. */
export function configurationSignal(): AbortSignal {
  return generation.signal;
}

function endGeneration(): void {
  const ended = generation;
  generation = new AbortController();
  ended.abort();
}

function retireInstances(options?: CloseOptions): void {
  for (const backend of instances.values()) {
    const closing = backend.close(options).catch((error: unknown) => {
      process.emitWarning(`tasklane: closing backend '${backend.alias}' failed: ${messageOf(error)}`);
    });
    retiring.add(closing);
    void closing.finally(() => retiring.delete(closing));
  }
  instances.clear();
}

function resolveBackendClass(alias: string, backend: BackendConfig["backend"]): BackendClass {
  if (typeof backend === "string") {
    const found = Object.hasOwn(builtinBackends, backend) ? builtinBackends[backend] : undefined;
    if (found) return found;
    throw new InvalidTaskBackend(
      `Could not load backend '${backend}' for '${alias}': not a built-in backend ` +
        `(${Object.keys(builtinBackends).join(", ")}); a custom backend is configured as its class.`,
    );
  }
  if (typeof backend === "function" && isBackendClass(backend)) return backend;
  throw new InvalidTaskBackend(
    `Could not load backend for '${alias}': ${describe(backend)} is not a subclass of BaseTaskBackend.`,
  );
}

function isBackendClass(fn: Function): fn is BackendClass {
  // By name along the prototype chain, so a backend built against another copy of tasklane works.
  for (let p: unknown = fn; typeof p === "function"; p = Object.getPrototypeOf(p)) {
    if (p.name === "BaseTaskBackend") return true;
  }
  return false;
}

const entryKeys = new Set(["backend", "queues", "options", "schedules"]);

function checkConfig(config: TasksConfig): TasksConfig {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new InvalidTaskBackend(
      "configure() takes an object mapping aliases to { backend, queues?, options?, schedules? }.",
    );
  }
  const out: TasksConfig = {};
  const scheduleNames = new Map<string, string>();
  for (const [alias, entry] of Object.entries(config)) {
    const where = `Configuration of '${alias}'`;
    if (typeof entry !== "object" || entry === null) {
      throw new InvalidTaskBackend(`${where} must be an object { backend, queues?, options?, schedules? }.`);
    }
    for (const key of Object.keys(entry)) {
      if (!entryKeys.has(key)) {
        throw new InvalidTaskBackend(
          `${where} has unknown key '${key}'; expected backend, queues, options, schedules.`,
        );
      }
    }
    if (typeof entry.backend !== "string" && typeof entry.backend !== "function") {
      throw new InvalidTaskBackend(`${where}: backend must be a built-in name or a backend class.`);
    }
    if (
      entry.queues !== undefined &&
      !(Array.isArray(entry.queues) && entry.queues.every((q) => typeof q === "string" && q !== ""))
    ) {
      throw new InvalidTaskBackend(`${where}: queues must be an array of non-empty strings.`);
    }
    if (
      entry.options !== undefined &&
      (typeof entry.options !== "object" || entry.options === null || Array.isArray(entry.options))
    ) {
      throw new InvalidTaskBackend(`${where}: options must be an object.`);
    }
    const copy: BackendConfig = { backend: entry.backend };
    if (entry.queues !== undefined) copy.queues = Object.freeze([...entry.queues]);
    if (entry.options !== undefined) copy.options = { ...entry.options };
    if (entry.schedules !== undefined) {
      copy.schedules = checkScheduleList(alias, entry.schedules, copy.queues ?? ["default"], scheduleNames);
    }
    out[alias] = Object.freeze(copy);
  }
  return Object.freeze(out);
}

function describe(value: unknown): string {
  if (typeof value === "function") return value.name ? `class ${value.name}` : "an anonymous function";
  return describeValue(value);
}
