import type { BackendClass, BackendConfig, BaseTaskBackend, CloseOptions } from "./backends/base.ts";
import { builtinBackends } from "./backends/builtins.ts";
import { describeValue, messageOf } from "./describe.ts";
import { InvalidTaskBackend } from "./errors.ts";

/** The task configuration: one entry per backend alias (Django's `TASKS` setting). */
export type TasksConfig = Record<string, BackendConfig>;

/** Used until `configure()` is called: a process pool, tasklane's reason to exist. */
export const DEFAULT_CONFIG: TasksConfig = Object.freeze({ default: { backend: "process-pool" } });

let current: TasksConfig | null = null;
const instances = new Map<string, BaseTaskBackend>();
// Backends replaced by a later configure() still finish their work; closeAll() waits for them.
const retiring = new Set<Promise<void>>();

/**
 * Sets the configuration, replacing any earlier one. Backends created under the old configuration
 * are closed in the background (their running work may finish); `closeAll()` waits for that.
 * @throws InvalidTaskBackend when an entry is malformed (an unknown backend is reported on first use).
 */
export function configure(config: TasksConfig): void {
  current = checkConfig(config);
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
  retireInstances(options);
  await Promise.all([...retiring]);
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

function checkConfig(config: TasksConfig): TasksConfig {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new InvalidTaskBackend("configure() takes an object mapping aliases to { backend, queues?, options? }.");
  }
  const out: TasksConfig = {};
  for (const [alias, entry] of Object.entries(config)) {
    const where = `Configuration of '${alias}'`;
    if (typeof entry !== "object" || entry === null) {
      throw new InvalidTaskBackend(`${where} must be an object { backend, queues?, options? }.`);
    }
    for (const key of Object.keys(entry)) {
      if (key !== "backend" && key !== "queues" && key !== "options") {
        throw new InvalidTaskBackend(`${where} has unknown key '${key}'; expected backend, queues, options.`);
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
    out[alias] = Object.freeze(copy);
  }
  return Object.freeze(out);
}

function describe(value: unknown): string {
  if (typeof value === "function") return value.name ? `class ${value.name}` : "an anonymous function";
  return describeValue(value);
}
