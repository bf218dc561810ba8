/**
 * Rule 1 in tasklane's form: a worker can only find a task its module exports under the function's
 * name. The check imports the module, which is normally loaded already (a cache hit).
 *
 * Not always: a script that defines a task and enqueues it with top-level await (`const r = await
 * add.enqueue(1, 2)`) is still evaluating when the check runs, and `import()` of a module that is
 * still evaluating settles only when its evaluation does, which waits for this very enqueue. No
 * API tells "still evaluating" from "slow to resolve", so the check waits for the import until the
 * process would otherwise go idle (`beforeExit`: nothing but this import is left) or, if something
 * else keeps it busy, `STALL_MS`. Then the module is taken to be evaluating and the definition is
 * trusted: `task()` was given that module's own `import.meta` and the function carries its brand.
 * A worker still checks the export when it imports the module, and the import finishing later
 * settles the question for every later enqueue.
 */
import { readTaskBrand, type TaskBrand } from "./brand.ts";
import { InvalidTask } from "./errors.ts";
import { importError, importModule, type ModuleNamespace } from "./task-loader.ts";

/** How long an import may stay pending before its module is taken to be still evaluating. */
const STALL_MS = 1_000;

type Namespace = ModuleNamespace;

interface Waiter {
  readonly exportName: string;
  readonly check: (ns: Namespace) => void;
  readonly resolve: (verdict: Verdict) => void;
  readonly reject: (error: unknown) => void;
}

interface ModuleImport {
  namespace: Namespace | null;
  error: unknown;
  settled: boolean;
  /** The import stalled once: the module is evaluating, so later checks trust at once. */
  stalled: boolean;
  waiters: Waiter[];
  timer: NodeJS.Timeout | null;
}

/** `exported`: checked. `trusted`: the module is still evaluating; check again at the next enqueue. */
export type Verdict = "exported" | "trusted";

const imports = new Map<string, ModuleImport>();
const stalling = new Set<ModuleImport>();

/**
 * Resolves once `brand` is known to be exported as `brand.name` by `moduleUrl`, or trusted because
 * that module is still evaluating.
 * @throws InvalidTask (as a rejection) when it is not exported, or the module cannot be imported.
 */
export function checkExport(moduleUrl: string, brand: TaskBrand): Promise<Verdict> {
  const modulePath = `${moduleUrl}#${brand.name}`;
  const check = (ns: Namespace): void => {
    // By brand, not instanceof: the module may load another copy of tasklane than ours.
    if (readTaskBrand(ns[brand.name])?.fn !== brand.fn) {
      throw new InvalidTask(
        `Task function must be exported from its module under its own name: ${modulePath} is not an export ` +
          `of ${moduleUrl} (write \`export const ${brand.name} = task(import.meta, function ${brand.name}(…) {…})\`).`,
      );
    }
  };
  const entry = importOf(moduleUrl);
  if (entry.settled) {
    try {
      if (entry.namespace === null) throw importFailed(moduleUrl, brand.name, entry.error);
      check(entry.namespace);
      return Promise.resolve("exported");
    } catch (error) {
      return Promise.reject(error);
    }
  }
  if (entry.stalled) return Promise.resolve("trusted");
  return new Promise<Verdict>((resolve, reject) => {
    entry.waiters.push({ exportName: brand.name, check, resolve, reject });
    watchForStall(entry);
  });
}

function importOf(moduleUrl: string): ModuleImport {
  let entry = imports.get(moduleUrl);
  if (entry !== undefined) return entry;
  const created: ModuleImport = {
    namespace: null,
    error: null,
    settled: false,
    stalled: false,
    waiters: [],
    timer: null,
  };
  entry = created;
  imports.set(moduleUrl, created);
  importModule(moduleUrl).then(
    (ns) => {
      created.namespace = ns;
      settle(created, (w) => {
        w.check(ns);
        w.resolve("exported");
      });
    },
    (error: unknown) => {
      // Not cached: a module that failed may be fixed and imported again by the next check.
      imports.delete(moduleUrl);
      created.error = error;
      settle(created, (w) => {
        throw importFailed(moduleUrl, w.exportName, error);
      });
    },
  );
  return created;
}

function settle(entry: ModuleImport, each: (w: Waiter) => void): void {
  entry.settled = true;
  stopWatching(entry);
  const waiters = entry.waiters;
  entry.waiters = [];
  for (const waiter of waiters) {
    try {
      each(waiter);
    } catch (error) {
      waiter.reject(error);
    }
  }
}

/** At enqueue a module that cannot be imported makes the task invalid (Django's word), in the loader's words. */
function importFailed(moduleUrl: string, exportName: string, error: unknown): InvalidTask {
  return new InvalidTask(importError(moduleUrl, exportName, error).message, { cause: error });
}

function watchForStall(entry: ModuleImport): void {
  if (entry.timer !== null) return;
  // Unref'd, so that it does not hold off `beforeExit` in a script whose only work is this import.
  entry.timer = setTimeout(() => stall(entry), STALL_MS).unref();
  if (stalling.size === 0) process.on("beforeExit", stallAll);
  stalling.add(entry);
}

function stopWatching(entry: ModuleImport): void {
  if (entry.timer !== null) clearTimeout(entry.timer);
  entry.timer = null;
  if (stalling.delete(entry) && stalling.size === 0) process.removeListener("beforeExit", stallAll);
}

function stallAll(): void {
  for (const entry of [...stalling]) stall(entry);
}

function stall(entry: ModuleImport): void {
  stopWatching(entry);
  entry.stalled = true;
  const waiters = entry.waiters;
  entry.waiters = [];
  for (const waiter of waiters) waiter.resolve("trusted");
}
