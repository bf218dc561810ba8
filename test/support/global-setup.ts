import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/*
 * vitest globalSetup: the CLI, bench and example tests run the built package (dist/), so it is
 * built once here, before any test file starts, when it is missing or older than the sources.
 * `npm test` has already built it (pretest); this covers `npx vitest run <file>` during development.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const cliMain = join(root, "dist", "cli", "main.js");

export function setup(): void {
  ensureBuilt();
}

/**
 * Builds dist/ unless dist/cli/main.js is newer than every source. The build goes to a private
 * directory and each file is then renamed into dist/, so a process already running from dist/ sees
 * the old file or the new one, never a half-written one.
 */
function ensureBuilt(): void {
  if (isFresh()) return;
  const out = join(root, "dist", `.build-${process.pid}`);
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  try {
    try {
      execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", out], { cwd: root, stdio: "pipe" });
    } catch (error) {
      // Type errors still emit; only a missing entry point makes the CLI tests pointless.
      const output = String((error as { stdout?: unknown }).stdout ?? error);
      if (!exists(join(out, "cli", "main.js"))) throw new Error(`Build of dist/ failed:\n${output}`);
      console.warn(`tsc reported errors while building dist/ for the CLI tests:\n${output}`);
    }
    execFileSync(process.execPath, [join(root, "scripts", "copy-static.mjs"), out], { cwd: root, stdio: "pipe" });
    for (const file of listFiles(out)) {
      const target = join(root, "dist", relative(out, file));
      mkdirSync(dirname(target), { recursive: true });
      renameSync(file, target);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function isFresh(): boolean {
  const built = statSync(cliMain, { throwIfNoEntry: false });
  if (built === undefined) return false;
  const sources = [...listFiles(join(root, "src")), join(root, "tsconfig.json"), join(root, "tsconfig.build.json")];
  // A file removed since the listing (another edit in progress) counts as old.
  return sources.every((file) => (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) <= built.mtimeMs);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function exists(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false }) !== undefined;
}
