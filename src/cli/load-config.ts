import { readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { builtinBackends } from "../backends/builtins.ts";
import { configure, type TasksConfig } from "../config.ts";
import { CliError, describeKind } from "./errors.ts";
import { importFile } from "./import-module.ts";
import { isFile, parseModulePath } from "./module-path.ts";
import { resolveScheduleTasks } from "./resolve-schedules.ts";

/** The files looked for in the working directory, in this order; the first one found is used. */
export const CONFIG_FILE_NAMES: readonly string[] = [
  "tasklane.config.ts",
  "tasklane.config.mjs",
  "tasklane.config.js",
  "tasklane.config.json",
];

/** A configuration read from a file, custom backends already imported. */
export interface LoadedConfig {
  /** Absolute path of the config file, for messages. */
  readonly file: string;
  /** What to pass to `configure()`. */
  readonly config: TasksConfig;
}

/**
 * The config file to use: `explicit` (relative to `cwd`) when given, else the first of
 * `CONFIG_FILE_NAMES` in `cwd`, else null (no `configure()` call: the library's default applies).
 * @throws CliError (exit 2) when `explicit` does not exist.
 */
export function findConfigFile(cwd: string, explicit?: string): string | null {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!isFile(file)) throw new CliError(`Config file not found: ${file} (from --config ${explicit}).`);
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = join(cwd, name);
    if (isFile(file)) return file;
  }
  return null;
}

/**
 * Reads a config file: a JSON object, or a JS/TS module whose default export (or `config` export)
 * is the object. A `backend` written `"./module.js#ExportName"` is imported, relative to the config
 * file, and replaced by the class it names; so is a schedule's `task` written `"./tasks.ts#report"`.
 * @throws CliError (exit 2) naming the file and the problem.
 */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const raw = file.endsWith(".json") ? readJson(file) : await readModule(file);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw invalid(
      file,
      `it must provide an object mapping backend aliases to { backend, queues?, options?, schedules? }, not ${describeKind(raw)}.`,
    );
  }
  const config: TasksConfig = {};
  for (const [alias, entry] of Object.entries(raw)) {
    config[alias] = (await resolveScheduleTasks(
      file,
      alias,
      await resolveBackend(file, alias, entry),
    )) as TasksConfig[string];
  }
  return { file, config };
}

/**
 * Calls `configure()` with a loaded configuration.
 * @throws CliError (exit 2) naming the file when `configure()` refuses it.
 */
export function applyConfig(loaded: LoadedConfig): void {
  try {
    configure(loaded.config);
  } catch (error) {
    throw invalid(loaded.file, (error as Error).message, error);
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw invalid(file, `it is not valid JSON: ${(error as Error).message}.`, error);
  }
}

async function readModule(file: string): Promise<unknown> {
  const ns = await importFile(file, "config file");
  const config = ns.default ?? ns.config;
  if (config === undefined) {
    throw invalid(
      file,
      `it has no default export (nor an export named 'config'); write ` +
        `\`export default { default: { backend: "immediate" } }\`.`,
    );
  }
  return config;
}

/** Replaces a `module#Export` backend by the class it names; checks built-in names early. */
async function resolveBackend(file: string, alias: string, entry: unknown): Promise<TasksConfig[string]> {
  const backend = (entry as { backend?: unknown } | null)?.backend;
  // Anything else that is wrong with the entry, configure() reports in its own words.
  if (typeof backend !== "string" || Object.hasOwn(builtinBackends, backend)) return entry as TasksConfig[string];
  const where = `backend '${backend}' of '${alias}'`;
  if (!backend.includes("#")) {
    throw invalid(
      file,
      `${where} is not a built-in backend (${Object.keys(builtinBackends).join(", ")}); a custom backend ` +
        `is written "./path/to/module.js#ExportName", relative to the config file.`,
    );
  }
  const ref = withContext(file, where, () => parseModulePath(backend, dirname(file), "Backend module"));
  let ns: Readonly<Record<string, unknown>>;
  try {
    ns = await importFile(ref.file, "backend module");
  } catch (error) {
    throw invalid(file, `${where}: ${(error as Error).message}`, error);
  }
  if (!Object.hasOwn(ns, ref.exportName)) {
    throw invalid(
      file,
      `${where}: ${basename(ref.file)} has no export '${ref.exportName}' (its exports: ${list(ns)}).`,
    );
  }
  const found = ns[ref.exportName];
  if (typeof found !== "function") {
    throw invalid(file, `${where}: export '${ref.exportName}' is ${describeKind(found)}, not a backend class.`);
  }
  return { ...(entry as object), backend: found } as TasksConfig[string];
}

function withContext<T>(file: string, where: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw invalid(file, `${where}: ${(error as Error).message}`, error);
  }
}

function invalid(file: string, problem: string, cause?: unknown): CliError {
  const options = cause === undefined ? undefined : { cause };
  return new CliError(`Invalid config file ${file}: ${problem}`, undefined, options);
}

function list(ns: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(ns);
  return names.length === 0 ? "none" : names.join(", ");
}

/**
 * Finds, loads and applies the configuration the way every command does: `--config`, else the
 * first of `CONFIG_FILE_NAMES` in `cwd`, else the library's default.
 * @returns where the aliases come from, for messages.
 * @throws CliError (exit 2) naming the file and the problem.
 */
export async function configureFromCli(cwd: string, explicit?: string): Promise<LoadedConfig | null> {
  const file = findConfigFile(cwd, explicit);
  if (file === null) return null;
  const loaded = await loadConfigFile(file);
  applyConfig(loaded);
  return loaded;
}
