import { DatabaseBackend } from "../backends/database.ts";
import { getBackend } from "../config.ts";
import type { TaskStore } from "../db/store.ts";
import { CliError, EXIT_FAILED, tasklaneCode } from "./errors.ts";
import type { LoadedConfig } from "./load-config.ts";

/**
 * The database backend an alias names, for `worker`, `prune` and `migrate`.
 * @throws CliError (exit 2) for an unknown alias or one that is not a database backend.
 */
export function databaseBackend(alias: string, loaded: LoadedConfig | null): DatabaseBackend {
  let backend: unknown;
  try {
    backend = getBackend(alias);
  } catch (error) {
    const from =
      loaded === null
        ? " (no config file found: the default configuration has only 'default', a process pool)"
        : ` (config ${loaded.file})`;
    throw new CliError(`--backend: ${(error as Error).message}${from}`, undefined, { cause: error });
  }
  if (!(backend instanceof DatabaseBackend)) {
    throw new CliError(`--backend: Backend '${alias}' is not a database backend`);
  }
  return backend;
}

/**
 * Opens (and migrates) the backend's database.
 * @throws CliError (exit 1) naming the database when it cannot be opened or is not tasklane's.
 */
export async function openDatabase(backend: DatabaseBackend): Promise<TaskStore> {
  try {
    return await backend.store();
  } catch (error) {
    if (tasklaneCode(error) === undefined) throw error;
    throw new CliError(`Backend '${backend.alias}': ${(error as Error).message}`, EXIT_FAILED, { cause: error });
  }
}

/** `a,b` → ["a", "b"]; `*` → "*". Empty names are refused. */
export function parseQueueNames(text: string, option: string): readonly string[] | "*" {
  if (text.trim() === "*") return "*";
  const names = text.split(",").map((q) => q.trim());
  if (names.some((q) => q === "" || q === "*")) {
    throw new CliError(`${option}: a comma-separated list of queue names, or * for every queue (got '${text}')`);
  }
  return names;
}
