import { isAbsolute, resolve } from "node:path";
import { InvalidTaskBackend } from "../errors.ts";

/** Where a database backend's data lives, parsed from its `url` option. */
export type DatabaseLocation =
  | { readonly dialect: "sqlite"; readonly path: string }
  | { readonly dialect: "postgres"; readonly url: string };

const SQLITE_FORMS = "sqlite:./relative/path.db, sqlite:/absolute/path.db or sqlite:file.db";

/**
 * Parses the `url` option of a database backend. SQLite takes a file path after `sqlite:`; a
 * relative one resolves against `process.cwd()` at the time of the call (the directory the app or
 * `tasklane worker` was started in), so both sides must start in the same directory or use an
 * absolute path. The path is taken literally: no `~` expansion, no percent-decoding, no `?query`.
 * Messages name the option only (`url: …`); the backend adds its alias.
 * @throws InvalidTaskBackend for any other form.
 */
export function parseDatabaseUrl(url: unknown, cwd: string = process.cwd()): DatabaseLocation {
  if (typeof url !== "string" || url.trim() === "") {
    throw new InvalidTaskBackend(`url: must be a non-empty string such as ${SQLITE_FORMS}`);
  }
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: "postgres", url };
  if (!url.startsWith("sqlite:")) {
    throw new InvalidTaskBackend(
      `url: ${JSON.stringify(url)} is not a database URL tasklane knows; use ${SQLITE_FORMS} (or postgres://…)`,
    );
  }
  const path = url.slice("sqlite:".length);
  const wrong = sqlitePathProblem(path);
  if (wrong !== null) throw new InvalidTaskBackend(`url: ${JSON.stringify(url)}: ${wrong}; use ${SQLITE_FORMS}`);
  return { dialect: "sqlite", path: isAbsolute(path) ? resolve(path) : resolve(cwd, path) };
}

function sqlitePathProblem(path: string): string | null {
  if (path === "") return "the file path after sqlite: is missing";
  if (path.startsWith("//")) return "sqlite: takes a file path, not //host (write sqlite:/absolute/path.db)";
  if (path === ":memory:" || path.startsWith("file:")) {
    return "in-memory and URI databases are not supported (workers in other processes could not see them)";
  }
  if (path.startsWith("~")) return "~ is not expanded; write the absolute path";
  if (/[?#]/.test(path)) return "query strings and fragments are not supported";
  if (path.endsWith("/")) return "the path names a directory, not a file";
  return null;
}
