/**
 * TypeScript task modules and configs without a build step: tsx's hooks are registered the first
 * time a `.ts` file is imported, so a process that only ever imports JS never pays tsx's start-up
 * cost. Used by the workers (task modules) and the CLI (task modules and configs).
 */

import { isMainThread } from "node:worker_threads";

const typescriptPath = /\.(?:[cm]?ts|tsx)$/;

/** Set by the thread bootstrap once it registered tsx itself (worker threads ignore `--import`). */
export const TSX_REGISTERED: unique symbol = Symbol.for("tasklane.tsxRegistered");

/** Whether a path or `file:` URL names a file that needs tsx to import. */
export function isTypeScriptPath(pathOrUrl: string): boolean {
  const path = pathOrUrl.startsWith("file:") ? new URL(pathOrUrl).pathname : pathOrUrl;
  return typescriptPath.test(path);
}

/**
 * Whether node flags load tsx (`--import tsx`, `--import=…/tsx/dist/esm/index.mjs`, `--loader tsx`,
 * `--require tsx/cjs`…), so a process started with them can import `.ts` already.
 */
export function flagsLoadTsx(flags: readonly string[]): boolean {
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    const eq = flag.indexOf("=");
    const name = eq < 0 ? flag : flag.slice(0, eq);
    if (name !== "--import" && name !== "--loader" && name !== "--experimental-loader" && name !== "--require") {
      continue;
    }
    const value = eq < 0 ? flags[++i] : flag.slice(eq + 1);
    if (value !== undefined && /(?:^|[\\/])tsx(?:$|[\\/@])/.test(value)) return true;
  }
  return false;
}

/**
 * Whether `.ts` imports already work here: the process was started with tsx (`tsx main.js`,
 * `--import tsx`, also through NODE_OPTIONS), or tsx was registered in this thread.
 */
export function hasTypeScriptLoader(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
  mainThread: boolean = isMainThread,
): boolean {
  if (typeScriptRegistered()) return true;
  // A worker thread shows the parent's flags in process.execArgv, but on Node 20 its ES module
  // loader ignores `--import tsx`: there only a registration made inside the thread counts.
  if (!mainThread) return false;
  return flagsLoadTsx(execArgv) || flagsLoadTsx((env.NODE_OPTIONS ?? "").split(/\s+/));
}

/** Whether tsx was registered in this thread (by `tasklane/register` or a thread bootstrap). */
export function typeScriptRegistered(): boolean {
  return (globalThis as { [TSX_REGISTERED]?: boolean })[TSX_REGISTERED] === true;
}

/** Records that tsx's hooks are active in this thread, so that nothing registers them again. */
export function markTypeScriptRegistered(): void {
  (globalThis as { [TSX_REGISTERED]?: boolean })[TSX_REGISTERED] = true;
}

let registering: Promise<void> | null = null;

/**
 * Makes `import()` of `.ts/.mts/.cts` files work in this process; resolves at once when a loader is
 * already active. Both of tsx's hooks are registered: Node treats a `.ts` file in a package without
 * `"type": "module"` as CommonJS, which only the require hooks compile.
 */
export function ensureTypeScript(): Promise<void> {
  if (registering !== null) return registering;
  registering = hasTypeScriptLoader()
    ? Promise.resolve()
    : Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]).then(([esm, cjs]) => {
        esm.register();
        cjs.register();
        markTypeScriptRegistered();
      });
  return registering;
}
