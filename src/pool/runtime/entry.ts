/**
 * Where the worker entry files are and which node flags a worker needs. The engine runs either from
 * `dist/` (plain JS) or from `src/` under tsx or vitest, in which case the entry itself is a `.ts`
 * file and the worker needs tsx before it can even load it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { flagsLoadTsx } from "../../typescript.ts";

const fromSource = /\.[cm]?ts$/.test(new URL(import.meta.url).pathname);

/**
 * The entry module of a worker of `kind`, next to this file's own build. Named, not imported: the
 * parent must never load the child's code, so the only arrow from `pool/` to `worker/` is this URL.
 */
export function workerEntryUrl(kind: "process" | "thread"): URL {
  const ext = fromSource ? "ts" : "js";
  const file = kind === "process" ? `process-entry.${ext}` : `thread-entry.${ext}`;
  return new URL(`../../worker/${file}`, import.meta.url);
}

/** Whether the worker entry is TypeScript (this engine runs from `src/`). */
export function entryNeedsTsx(): boolean {
  return fromSource;
}

// Flags that must not reach a worker: a second debugger on the same port fails to start, and
// eval/print/test/watch would replace or wrap the worker entry.
const dropped = /^--(?:inspect|debug)(?:-[\w-]+)?(?:=|$)/;
const droppedWithValue = new Set(["-e", "--eval", "-p", "--print", "--inspect-port", "--debug-port"]);
const droppedAlone = /^--(?:test|watch)(?:-[\w-]+)?(?:=|$)/;

/** The parent's `process.execArgv` without debugger flags and without what would replace the entry. */
export function inheritedExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (droppedWithValue.has(arg)) {
      i++;
      continue;
    }
    if (dropped.test(arg) || droppedAlone.test(arg)) continue;
    out.push(arg);
  }
  return out;
}

let tsxUrls: { esm: string; api: string } | null = null;

/** Absolute `file:` URLs of tsx's ESM loader (for `--import`) and of its `register()` API. */
export function tsxModuleUrls(): { esm: string; api: string } {
  if (tsxUrls === null) {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve("tsx/package.json");
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { exports: Record<string, unknown> };
    const pick = (subpath: string): string => {
      let target: unknown = pkg.exports[subpath];
      // Follow the "import" condition down to a file (e.g. { import: { types, default } }).
      while (typeof target === "object" && target !== null) {
        const conditions = target as Record<string, unknown>;
        target = conditions.import ?? conditions.default;
      }
      if (typeof target !== "string") throw new Error(`tasklane: cannot find tsx's '${subpath}' export`);
      return new URL(target, pathToFileURL(pkgPath)).href;
    };
    tsxUrls = { esm: pick("./esm"), api: pick("./esm/api") };
  }
  return tsxUrls;
}

/** Node flags for a child process: inherited ones, tsx when the entry needs it (once), then `extra`. */
export function childExecArgv(extra: readonly string[]): string[] {
  const argv = inheritedExecArgv();
  if (fromSource && !flagsLoadTsx(argv)) argv.push("--import", tsxModuleUrls().esm);
  argv.push(...extra);
  return argv;
}
