import { statSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError } from "./errors.ts";

/** A `module#export` reference, resolved to an existing file. */
export interface ModulePath {
  /** As the user wrote it, for messages. */
  readonly spec: string;
  /** Absolute path of the module file. */
  readonly file: string;
  /** `file:` URL of the module, what `import()` takes. */
  readonly url: string;
  /** The export to read from the module. */
  readonly exportName: string;
}

/**
 * Parses `module#export`, splitting at the last `#`. The module is a `file:` URL or a path relative
 * to `baseDir`; a bare `tasks.js` counts as relative, because the CLI names files, not packages.
 * @param what - what the reference names, for messages: `Task module`, `Backend module`.
 * @throws CliError (exit 2) when the export name is missing or the file does not exist.
 */
export function parseModulePath(spec: string, baseDir: string, what = "Task module"): ModulePath {
  const hash = spec.lastIndexOf("#");
  const modulePart = hash < 0 ? spec : spec.slice(0, hash);
  const exportName = hash < 0 ? "" : spec.slice(hash + 1);
  if (modulePart === "" || exportName === "") {
    throw new CliError(
      `'${spec}' must name a module and an export, separated by '#': for example ./tasks.ts#add ` +
        `or file:///app/tasks.js#add.`,
    );
  }
  const file = toFile(modulePart, baseDir, spec);
  if (!isFile(file)) throw new CliError(`${what} not found: ${file} (from '${spec}', relative to ${baseDir}).`);
  return { spec, file, url: pathToFileURL(file).href, exportName };
}

function toFile(modulePart: string, baseDir: string, spec: string): string {
  if (!modulePart.startsWith("file:")) return resolve(baseDir, modulePart);
  try {
    return fileURLToPath(modulePart);
  } catch (error) {
    throw new CliError(`'${spec}' does not start with a valid file: URL (${(error as Error).message}).`);
  }
}

/** Whether `path` names an existing regular file (a directory cannot be imported as a module). */
export function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}
