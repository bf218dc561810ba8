import { pathToFileURL } from "node:url";
import { importModule, type ModuleNamespace } from "../task-loader.ts";
import { CliError, describeError } from "./errors.ts";

/**
 * Imports a JS or TS module file, registering tsx first when the file needs it.
 * @param what - what the file is, for the message: `task module`, `config file`.
 * @throws CliError (exit 2) naming the file and what went wrong in it.
 */
export async function importFile(file: string, what: string): Promise<ModuleNamespace> {
  try {
    return await importModule(pathToFileURL(file).href);
  } catch (error) {
    throw new CliError(`Could not import ${what} ${file}: ${describeError(error)}`, undefined, { cause: error });
  }
}
