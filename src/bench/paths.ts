import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/*
 * Where the benchmark finds its task modules and worker files. They live in the repository's
 * bench/ folder (they are ordinary task modules, importing "tasklane" by its package name), which
 * sits two levels above both src/bench/ and dist/bench/. A published package does not ship bench/,
 * so the command needs a clone of the repository.
 */

const root = new URL("../../", import.meta.url);

/** URL of a file in the repository's bench/ folder. */
export function benchFile(name: string): URL {
  return new URL(`bench/${name}`, root);
}

/** Throws a readable error when bench/ (or a file the run needs) is missing. */
export function checkBenchFiles(): void {
  for (const name of ["tasks.mjs", "fib.mjs", "peer-worker.mjs", "ping-process.mjs", "ping-thread.mjs"]) {
    const path = fileURLToPath(benchFile(name));
    if (!existsSync(path)) {
      throw new Error(
        `tasklane bench needs ${path} (the benchmark's task modules live in the repository's bench/ ` +
          "folder, which the published package does not include): run it from a clone of the repository.",
      );
    }
  }
}

/** The version in tasklane's package.json. */
export function tasklaneVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
