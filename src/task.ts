import { type Backoff, defaultBackoff } from "./backoff.ts";
import { readTaskBrand, TASK_BRAND, type TaskBrand } from "./brand.ts";
import { getBackend, isConfigured } from "./config.ts";
import type { TaskContext } from "./context.ts";
import { InvalidTask, TaskResultMismatch } from "./errors.ts";
import { checkExport } from "./export-check.ts";
import { refuseInsideWorker } from "./in-worker.ts";
import type { JsonValue, NonJson, NonJsonReturn, ReturnJson } from "./json.ts";
import type { TaskResult } from "./result.ts";
import { validateContext, validatePriorityRange, validateRunAfter, validateRunOptions } from "./validation.ts";

export const DEFAULT_QUEUE_NAME = "default";
export const DEFAULT_BACKEND_ALIAS = "default";

/** How a task is run and retried; settable at definition and with `using()`. */
export interface RunOptions {
  /**
   * Stop the task after this many milliseconds of running: its worker is killed and replaced and the
   * attempt fails with `TaskTimeout`. Default: no limit.
   */
  timeoutMs?: number | null;
  /** Attempts in all, the first included; a failed attempt is retried until this many ran. Default 1. */
  maxAttempts?: number;
  /** Wait before a retry: milliseconds, or a function of the error and attempt. Default: exponential with jitter. */
  backoff?: Backoff;
}

/** Options of `task(import.meta, options, fn)`. */
export interface TaskOptions extends RunOptions {
  /** Whole number in -100..100; larger runs sooner. Default 0. */
  priority?: number;
  /** Queue (and so pool lane) to run on; must be one of the backend's queues. Default "default". */
  queueName?: string;
  /** Alias of the configured backend. Default "default". */
  backend?: string;
  /** The function receives a `TaskContext` as its first parameter. Default false. */
  takesContext?: boolean;
}

/** What `task.using()` may change. `runAfter` and `signal` are only settable here. */
export interface UsingOptions extends RunOptions {
  priority?: number;
  queueName?: string;
  backend?: string;
  /** Earliest time the task may run; needs a backend that supports defer. `null` clears it. */
  runAfter?: Date | null;
  /**
   * Cancels the results enqueued through this copy when it aborts (as `result.cancel()` does).
   * `null` clears it.
   */
  signal?: AbortSignal | null;
}

/** Anything with a module URL: `import.meta` in an ES module. */
export interface ModuleMeta {
  readonly url: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the widest function type, used only as a constraint.
type AnyFunction = (...args: any[]) => unknown;

/**
 * The offending type among a task's arguments, or `never`. An optional parameter (`b?: string`,
 * `b = "x"`) is fine, because JSON arguments simply omit it: `-?` drops the `undefined` that only its
 * optionality added, while a required `a: string | undefined` is still refused. (At run time an
 * explicit `undefined` argument is refused all the same: leave it out instead.)
 */
export type NonJsonArgs<A extends readonly unknown[]> = number extends A["length"]
  ? NonJson<A>
  : { [K in keyof A]-?: NonJson<A[K]> }[number];

/**
 * `F` itself when its arguments `A` and its return value are JSON, else an object type that names
 * the offending type, which the compiler's error then shows:
 * `… is not assignable to parameter of type '{ "tasklane: task arguments must be JSON; this is not": Date }'`.
 */
export type JsonChecked<F extends (...args: never[]) => unknown, A extends readonly unknown[]> = [
  NonJsonArgs<A>,
] extends [never]
  ? [NonJsonReturn<ReturnType<F>>] extends [never]
    ? F
    : { "tasklane: a task's return value must be JSON; this is not": NonJsonReturn<ReturnType<F>> }
  : { "tasklane: task arguments must be JSON; this is not": NonJsonArgs<A> };

/** The enqueue arguments of a context task: its parameters after the context. */
export type ContextArgs<F> = F extends (context: TaskContext, ...args: infer A) => unknown ? A : never;

/** What a task function must be: one taking its `TaskContext` first when `C` (`takesContext`) is true. */
export type TaskFunction<C extends boolean> = C extends true
  ? (context: TaskContext, ...args: never[]) => unknown
  : (...args: never[]) => unknown;

/** The arguments `enqueue` takes for `F`: its parameters, after the context when `C` is true. */
export type TaskArgs<F extends (...args: never[]) => unknown, C extends boolean> = C extends true
  ? ContextArgs<F>
  : Parameters<F>;

interface Definition {
  readonly brand: TaskBrand;
  readonly moduleUrl: string;
  readonly isAsync: boolean;
  /** Resolved once the module is known to export this task under its name. */
  exported: Promise<void> | true | null;
}

interface Fields {
  readonly priority: number;
  readonly queueName: string;
  readonly backend: string;
  readonly runAfter: Date | null;
  readonly timeoutMs: number | null;
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  readonly signal: AbortSignal | null;
}

const runOptionKeys = ["timeoutMs", "maxAttempts", "backoff"];
const taskOptionKeys = new Set(["priority", "queueName", "backend", "takesContext", ...runOptionKeys]);
const usingOptionKeys = new Set(["priority", "queueName", "backend", "runAfter", "signal", ...runOptionKeys]);
const creating = Symbol("tasklane.creating");

/**
 * A task: an exported function plus the options it runs with. Immutable: `using()` returns a
 * changed copy. A worker finds the function again by `modulePath` (module URL + `#` + export name),
 * so no function source ever crosses a process boundary.
 *
 * @typeParam Args - the JSON arguments `enqueue` takes (without the context).
 * @typeParam Return - what `result.returnValue` holds (`null` for a function returning nothing).
 * @typeParam Fn - the function itself, for `call()`.
 */
export class Task<Args extends unknown[] = unknown[], Return = unknown, Fn extends AnyFunction = AnyFunction> {
  /** The function's name, which is also the export name workers import. */
  readonly name: string;
  /** The URL of the module that defines and exports the task. */
  readonly moduleUrl: string;
  /** `moduleUrl#name`: where a fresh process finds the task. */
  readonly modulePath: string;
  readonly priority: number;
  readonly queueName: string;
  /** Alias of the backend this task is enqueued on. */
  readonly backend: string;
  readonly runAfter: Date | null;
  readonly takesContext: boolean;
  /** Milliseconds an attempt may run before it is stopped, or null for no limit. */
  readonly timeoutMs: number | null;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The wait before each retry. */
  readonly backoff: Backoff;
  /** Cancels the results enqueued through this task when it aborts. */
  readonly signal: AbortSignal | null;
  /** @internal Lets a worker run the task from the module it imported. */
  readonly [TASK_BRAND]: TaskBrand;

  readonly #def: Definition;

  /** @internal Use `task()` to define a task and `using()` to change one. */
  constructor(token: typeof creating, def: Definition, fields: Fields) {
    if (token !== creating) throw new TypeError("Use task(import.meta, fn) to define a task.");
    this.#def = def;
    this.name = def.brand.name;
    this.moduleUrl = def.moduleUrl;
    this.modulePath = `${def.moduleUrl}#${def.brand.name}`;
    this.priority = fields.priority;
    this.queueName = fields.queueName;
    this.backend = fields.backend;
    this.runAfter = fields.runAfter;
    this.timeoutMs = fields.timeoutMs;
    this.maxAttempts = fields.maxAttempts;
    this.backoff = fields.backoff;
    this.signal = fields.signal;
    this.takesContext = def.brand.takesContext;
    this[TASK_BRAND] = def.brand;
    Object.freeze(this);
  }

  /** The function, as defined (Django's `task.func`). */
  get func(): Fn {
    return this.#def.brand.fn as unknown as Fn;
  }

  /** Whether the function is an `async` function. */
  get isAsync(): boolean {
    return this.#def.isAsync;
  }

  /** Returns a copy with the given options changed; the copy is validated again. */
  using(options: UsingOptions): Task<Args, Return, Fn> {
    checkOptionKeys(options, usingOptionKeys, "using()");
    const fields: Fields = {
      priority: options.priority ?? this.priority,
      queueName: options.queueName ?? this.queueName,
      backend: options.backend ?? this.backend,
      runAfter: options.runAfter === undefined ? this.runAfter : options.runAfter,
      timeoutMs: options.timeoutMs === undefined ? this.timeoutMs : options.timeoutMs,
      maxAttempts: options.maxAttempts ?? this.maxAttempts,
      backoff: options.backoff ?? this.backoff,
      signal: options.signal === undefined ? this.signal : options.signal,
    };
    const copy = new Task<Args, Return, Fn>(creating, this.#def, fields);
    validateForUse(copy);
    return copy;
  }

  /**
   * Validates the arguments against the JSON rules and hands the task to its backend.
   * @throws InvalidTask, InvalidTaskBackend, or TypeError naming the argument path that is not JSON
   * (as rejections); EnqueueInWorker, synchronously, when called inside a pool worker.
   */
  enqueue(...args: Args): Promise<TaskResult<Return>> {
    refuseInsideWorker(this.modulePath, this.name);
    // Not an async function: once the export is known, the backend's own promise is returned as
    // it is, saving a wrapper promise and two microtask hops per task on the hot path.
    try {
      const backend = getBackend(this.backend);
      if (this.#def.exported !== true) {
        return this.#checkExported().then(() => this.#enqueueOn(backend, args));
      }
      return this.#enqueueOn(backend, args);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #enqueueOn(backend: ReturnType<typeof getBackend>, args: Args): Promise<TaskResult<Return>> {
    backend.validateTask(this);
    return backend.enqueue(this, args) as Promise<TaskResult<Return>>;
  }

  /**
   * Fetches a result of this task from its backend.
   * @throws TaskResultDoesNotExist when no such result is held; TaskResultMismatch when it belongs to another task.
   */
  async getResult(id: string): Promise<TaskResult<Return>> {
    const result = await getBackend(this.backend).getResult(id);
    if (result.task[TASK_BRAND].fn !== this.#def.brand.fn) {
      throw new TaskResultMismatch(
        `Task does not match (received '${result.task.modulePath}', expected '${this.modulePath}'; result ${id})`,
      );
    }
    return result as TaskResult<Return>;
  }

  /** Runs the function inline, here and now: no backend, no JSON rules, no result. */
  async call(...args: Parameters<Fn>): Promise<Awaited<ReturnType<Fn>>> {
    return (await (this.#def.brand.fn as AnyFunction)(...args)) as Awaited<ReturnType<Fn>>;
  }

  /** True when both are the same function with the same options. */
  equals(other: Task<never, unknown>): boolean {
    return (
      other instanceof Task &&
      other.#def === this.#def &&
      other.priority === this.priority &&
      other.queueName === this.queueName &&
      other.backend === this.backend &&
      other.runAfter?.getTime() === this.runAfter?.getTime() &&
      other.timeoutMs === this.timeoutMs &&
      other.maxAttempts === this.maxAttempts &&
      other.backoff === this.backoff &&
      other.signal === this.signal
    );
  }

  toString(): string {
    return `Task(${this.modulePath})`;
  }

  // Rule 1 of Django's task validation, "exported from its module" (see export-check.ts), once per definition; a "trusted" verdict (the
  // module is still evaluating) leaves it to be checked again at the next enqueue.
  #checkExported(): Promise<void> {
    const def = this.#def;
    def.exported ??= checkExport(def.moduleUrl, def.brand).then(
      (verdict) => {
        def.exported = verdict === "exported" ? true : null;
      },
      (error: unknown) => {
        def.exported = null;
        throw error;
      },
    );
    return def.exported === true ? Promise.resolve() : def.exported;
  }
}

/** A task whose types are not known (what a backend handles). */
export type AnyTask = Task<never, unknown>;

/**
 * Enqueues `task` on this copy's configuration, with `Task.enqueue`'s checks, whichever copy of
 * tasklane defined it: a task module the CLI loads may import another copy (src/ beside dist/),
 * whose own `enqueue` would use a configuration nobody set.
 */
export async function enqueueTask(task: AnyTask, args: readonly JsonValue[]): Promise<TaskResult> {
  if ((task as unknown) instanceof Task) return (task as Task<JsonValue[]>).enqueue(...args);
  refuseInsideWorker(task.modulePath, task.name);
  const backend = getBackend(task.backend);
  await checkExport(task.moduleUrl, readTaskBrand(task)!);
  backend.validateTask(task);
  return backend.enqueue(task, args);
}

/**
 * Marks an exported function as a task. The function must be a named function, exported under that
 * name, so that a worker process can import it by module path:
 *
 * ```ts
 * export const add = task(import.meta, function add(a: number, b: number) { return a + b; });
 * export const report = task(import.meta, { queueName: "reports", priority: 10 }, async function report(month: string) {…});
 * export const whoami = task(import.meta, { takesContext: true }, function whoami(context: TaskContext) {…});
 * ```
 *
 * Arguments and return value must be JSON; the compiler rejects other types (a `Date` parameter is
 * a type error), and `enqueue` checks the values again at run time.
 * @throws InvalidTask when the function or an option is not valid.
 */
export function task<F extends (...args: never[]) => unknown>(
  meta: ModuleMeta,
  fn: JsonChecked<F, Parameters<F>>,
): Task<Parameters<F>, ReturnJson<ReturnType<F>>, F>;
// One signature for the options form, not one per takesContext value, so that a misspelt option is
// reported as itself ("'priorty' does not exist in type 'TaskOptions…'. Did you mean to write
// 'priority'?") rather than as a list of overloads that each failed. `C` comes first: `F`'s
// constraint depends on it, which is what refuses a context task without a context parameter.
export function task<C extends boolean = false, F extends TaskFunction<C> = TaskFunction<C>>(
  meta: ModuleMeta,
  options: TaskOptions & { takesContext?: C },
  fn: C extends true ? JsonChecked<F, ContextArgs<F>> : JsonChecked<F, Parameters<F>>,
): Task<TaskArgs<F, C>, ReturnJson<ReturnType<F>>, F>;
export function task(meta: ModuleMeta, optionsOrFn: TaskOptions | AnyFunction, maybeFn?: AnyFunction): AnyTask {
  const options: TaskOptions = typeof optionsOrFn === "function" ? {} : optionsOrFn;
  const fn = typeof optionsOrFn === "function" ? optionsOrFn : maybeFn;
  if (typeof meta?.url !== "string") {
    throw new InvalidTask("task() needs the defining module's import.meta as its first argument.");
  }
  if (typeof fn !== "function") {
    throw new InvalidTask(`Task function must be a function (in ${meta.url}).`);
  }
  if (!fn.name) {
    throw new InvalidTask(
      `Task function must be a named function, exported under that name, so workers can import it ` +
        `(in ${meta.url}: write \`export const add = task(import.meta, function add(…) {…})\`).`,
    );
  }
  checkOptionKeys(options, taskOptionKeys, `task ${meta.url}#${fn.name}`);
  if (options.takesContext !== undefined && typeof options.takesContext !== "boolean") {
    throw new InvalidTask(`takesContext must be a boolean (task ${meta.url}#${fn.name}).`);
  }
  const kind = fn.constructor?.name;
  const def: Definition = {
    brand: { fn: fn as TaskBrand["fn"], takesContext: options.takesContext ?? false, name: fn.name },
    moduleUrl: meta.url,
    isAsync: kind === "AsyncFunction" || kind === "AsyncGeneratorFunction",
    exported: null,
  };
  const created = new Task(creating, def, {
    priority: options.priority ?? 0,
    queueName: options.queueName ?? DEFAULT_QUEUE_NAME,
    backend: options.backend ?? DEFAULT_BACKEND_ALIAS,
    runAfter: null,
    timeoutMs: options.timeoutMs ?? null,
    maxAttempts: options.maxAttempts ?? 1,
    backoff: options.backoff ?? defaultBackoff,
    signal: null,
  });
  // Only the rules that need no backend: a module must import whatever the configuration says, so
  // that one task on an unconfigured queue or alias does not take its sibling tasks down with it.
  validateWithoutBackend(created);
  return created;
}

function checkOptionKeys(options: object, allowed: ReadonlySet<string>, where: string): void {
  if (typeof options !== "object" || options === null) {
    throw new InvalidTask(`Options of ${where} must be an object.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) {
      throw new InvalidTask(`Unknown option '${key}' for ${where}; expected one of: ${[...allowed].join(", ")}.`);
    }
  }
}

/**
 * Checks a copy made by `using()`. Once `configure()` has been called the copy is validated against
 * its backend, exactly as at enqueue (Django's behaviour for `using()`); before that only the rules
 * that need no backend. `enqueue` always checks everything again.
 */
function validateForUse(t: AnyTask): void {
  if (isConfigured()) {
    getBackend(t.backend).validateTask(t);
    return;
  }
  validateWithoutBackend(t);
}

/** The rules that hold whatever the backend: context shape, priority range, option types. */
function validateWithoutBackend(t: AnyTask): void {
  validateContext(t);
  validatePriorityRange(t.priority);
  validateRunAfter(t.runAfter);
  validateRunOptions(t);
  if (typeof t.queueName !== "string" || t.queueName === "") {
    throw new InvalidTask("queueName must be a non-empty string.");
  }
  if (typeof t.backend !== "string" || t.backend === "") {
    throw new InvalidTask("backend must be a non-empty string (a configured alias).");
  }
}
