/**
 * The JSON rules for task arguments and return values (README, "JSON rules"): a value is accepted when it
 * survives a JSON round trip without changing type. The runtime check and the static types below
 * say the same thing, so most mistakes are caught by the compiler before they reach `enqueue`.
 */

/** A JSON scalar. */
export type JsonPrimitive = null | boolean | number | string;

/** Any value that survives `JSON.parse(JSON.stringify(value))` unchanged. */
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

type IsAny<T> = 0 extends 1 & T ? true : false;

/** True when some member of `T` is a function: a class instance like `Date` or `Map`, not data. */
type HasMethods<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? true : never;
}[keyof T] extends never
  ? false
  : true;

/**
 * Resolves to `never` when `T` is JSON-compatible, otherwise to the offending type (`Date`, `Map`,
 * `bigint`…). Interfaces are checked member by member (they lack the index signature `JsonValue`
 * asks for), and `Seen` stops the walk on recursive types. `unknown` and `any` pass: they promise
 * nothing, and `enqueue` checks the values at run time anyway.
 */
export type NonJson<T, Seen = never> =
  IsAny<T> extends true
    ? never
    : unknown extends T
      ? never
      : T extends JsonPrimitive
        ? never
        : T extends Seen
          ? never
          : T extends readonly (infer E)[]
            ? NonJson<E, Seen | T>
            : T extends ((...args: never[]) => unknown) | symbol | bigint | undefined | void
              ? T
              : T extends object
                ? HasMethods<T> extends true
                  ? T
                  : { [K in keyof T]-?: NonJson<T[K], Seen | T> }[keyof T]
                : T;

/** What a task's result holds for a function returning `R`: `undefined` (no return) becomes `null`. */
export type ReturnJson<R> = Exclude<Awaited<R>, undefined | void> | (undefined extends Awaited<R> ? null : never);

/** The offending type of a task's return value (a bare `undefined` return is allowed and stored as null). */
export type NonJsonReturn<R> = NonJson<Exclude<Awaited<R>, undefined | void>>;

const objectProto = Object.prototype;

/**
 * How deep arrays and objects may nest: a container more than this many steps down its path
 * (`args[0]` and 1,000 more `[i]`/`.key` steps) is refused. Every serializer a value meets must
 * handle it with room to spare, whatever the stack holds when it runs. Measured on Node 20.20 with
 * little on the main thread's stack (the command is in the README's "JSON rules"): structured clone
 * (worker threads' `postMessage`) gives up at about 1,950 levels of nested objects and 3,300 of
 * arrays, `JSON.stringify` at about 4,200, `JSON.parse` not below 200,000. With more on the stack
 * they fail sooner: through `enqueue` under tsx, 2,500 levels already killed the parent in the
 * process runtime's send, 2,000 in the thread runtime's.
 */
export const MAX_JSON_DEPTH = 1000;

/** Path segments kept at each end of an abbreviated path in the depth error. */
const PATH_ENDS = 6;

/*
 * The containers being walked, one entry per level in parallel arrays: the source, its copy (null
 * when only checking), its keys (null for an array) and the index of the child being visited. They
 * are shared by every call so that the common case (a short argument list) allocates nothing but
 * the copy; a nested call (a getter that enqueues) works above the caller's levels, and every call
 * clears what it used. The path is formatted from them only when something is wrong, so there is no
 * string work either.
 */
const sources: (object | null)[] = [];
const copies: (JsonValue[] | { [key: string]: JsonValue } | null)[] = [];
const keyLists: (string[] | null)[] = [];
const indexes: number[] = [];
let top = 0;

/**
 * Checks `value` against the JSON rules and returns a normalised deep copy (`-0` becomes `0`), so a
 * caller mutating its arguments after `enqueue` cannot change what the task receives. The walk uses
 * an explicit stack, not recursion, so no value can exhaust the call stack, however deep.
 *
 * @param root - the name of the value in error messages, e.g. `args` or `returnValue`.
 * @throws TypeError naming the path and the type, e.g. `args[0].when: Date is not JSON-serializable`,
 *   or the depth: `args[0][0]…[0]: nested deeper than 1000 levels`.
 */
export function normalizeJson(value: unknown, root: string): JsonValue {
  return walk(value, root, true);
}

/** What `checkJson` learned of a value on its way, for the encoder to choose a format. */
export interface JsonFacts {
  /** Scalars and containers visited. */
  values: number;
  /** The deepest container, 1 for a flat array or object, 0 for a scalar. */
  depth: number;
  /**
   * An upper bound of the value's UTF-8 JSON length: 6 bytes per string character (the length of
   * `\u0000`), 25 per number (the longest a double prints), brackets, quotes, colons and commas
   * included. A value within a limit by this bound is within it as JSON.
   */
  bound: number;
  /**
   * No string or key holds a lone surrogate and no key is `__proto__`: the value comes through a
   * format other than JSON unchanged (msgpackr writes a lone surrogate as U+FFFD, and renames a
   * `__proto__` key).
   */
  plain: boolean;
}

// isWellFormed is in Node 20 (V8 11.3) but in TypeScript's ES2024 library.
type MaybeWellFormed = { isWellFormed(): boolean };

/*
 * What a check learns, counted in module variables; a check inside a check (a getter that enqueues)
 * gives the outer one its own back. A copy counts too, harmlessly: nobody reads its counts.
 */
let values = 0;
let depth = 0;
let bound = 0;
let plain = true;

const facts: JsonFacts = { values: 0, depth: 0, bound: 0, plain: true };

/**
 * Checks `value` against the JSON rules, as `normalizeJson` does (same errors), without copying it.
 * @returns what it learned, in an object every call reuses: read it before the next check.
 */
export function checkJson(value: unknown, root: string): Readonly<JsonFacts> {
  const v0 = values;
  const d0 = depth;
  const b0 = bound;
  const p0 = plain;
  values = 0;
  depth = 0;
  bound = 0;
  plain = true;
  try {
    try {
      if (enumerableOnObjectPrototype()) throw BAIL;
      visit(value, 0);
    } catch (error) {
      if (error !== BAIL) throw error;
      // Something to refuse, or unusual: the walk decides, and names the path if it refuses.
      values = 0;
      depth = 0;
      bound = 0;
      plain = true;
      walk(value, root, false);
    }
    facts.values = values;
    facts.depth = depth;
    facts.bound = bound;
    facts.plain = plain;
    return facts;
  } finally {
    values = v0;
    depth = d0;
    bound = b0;
    plain = p0;
  }
}

/**
 * `checkJson`'s fast path: plain recursion, about twice as fast as the walk below on ~100 KB of
 * records (110 against 205 µs per check, `node bench/json-check.mjs`), counting what the walk
 * counts. It knows no errors: anything the walk would refuse, and anything deeper than
 * FAST_MAX_DEPTH (a cycle among them), throws BAIL, and the walk then checks the value from the
 * start and says what is wrong and where. Only a value that passes is decided here.
 */
function visit(v: unknown, level: number): void {
  values++;
  switch (typeof v) {
    case "string":
      bound += 6 * v.length + 2;
      if (!(v as unknown as MaybeWellFormed).isWellFormed()) plain = false;
      return;
    case "boolean":
      bound += 5;
      return;
    case "number":
      bound += 25;
      if (!Number.isFinite(v)) throw BAIL;
      return;
    case "object":
      break;
    default:
      throw BAIL;
  }
  bound += 4;
  if (v === null) return;
  if (level >= FAST_MAX_DEPTH) throw BAIL;
  if (level >= depth) depth = level + 1;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) throw BAIL;
    const items = v as unknown[];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      // A hole reads as undefined, which is refused too: the walk tells them apart.
      if (item === undefined) throw BAIL;
      visit(item, level + 1);
      bound += 1;
    }
    return;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== objectProto && proto !== null) throw BAIL;
  // for-in visits the own enumerable keys, as Object.keys does, when no prototype adds any (checked
  // once per call), and allocates no key list.
  for (const key in v) {
    visit((v as Record<string, unknown>)[key], level + 1);
    bound += 6 * key.length + 4;
    if (key === "__proto__" || !(key as unknown as MaybeWellFormed).isWellFormed()) plain = false;
  }
}

/** What `visit` throws to hand a value to the walk. */
const BAIL: unique symbol = Symbol("bail");

/** Past this many levels `visit` hands the value to the walk, which keeps its own stack. */
const FAST_MAX_DEPTH = 64;

/** Whether something added an enumerable key to Object.prototype, which for-in would visit. */
function enumerableOnObjectPrototype(): boolean {
  for (const _ in objectProto) return true;
  return false;
}

/** Copies, or only checks and counts (`values`, `depth`, `bound`, `plain`). */
function walk(value: unknown, root: string, copying: boolean): JsonValue {
  const base = top;
  try {
    const out = open(value, root, base, copying);
    while (top > base) {
      const d = top - 1;
      const i = indexes[d]!;
      const keys = keyLists[d]!;
      if (keys === null) {
        const source = sources[d] as unknown[];
        if (i === source.length) {
          pop();
          continue;
        }
        indexes[d] = i + 1;
        if (!(i in source)) fail(root, base, "array hole");
        const child = open(source[i], root, base, copying);
        if (copying) (copies[d] as JsonValue[])[i] = child;
        else bound += 1; // the comma
      } else {
        if (i === keys.length) {
          pop();
          continue;
        }
        indexes[d] = i + 1;
        const key = keys[i]!;
        const child = open((sources[d] as Record<string, unknown>)[key], root, base, copying);
        if (!copying) {
          bound += 6 * key.length + 4; // with quotes, colon and comma
          if (key === "__proto__" || !(key as unknown as MaybeWellFormed).isWellFormed()) plain = false;
          continue;
        }
        const copy = copies[d] as { [key: string]: JsonValue };
        // defineProperty, not assignment, for "__proto__": it must stay an ordinary key.
        if (key === "__proto__") {
          Object.defineProperty(copy, key, { value: child, enumerable: true, writable: true, configurable: true });
        } else {
          copy[key] = child;
        }
      }
    }
    return out;
  } finally {
    // After a throw: let go of the caller's values and give the levels back.
    while (top > base) pop();
  }
}

function pop(): void {
  top--;
  sources[top] = null;
  copies[top] = null;
  keyLists[top] = null;
}

/**
 * A scalar's normalised value, or a container's (still empty) copy with its level pushed; when only
 * checking, a container gives null (nobody reads it).
 */
function open(v: unknown, root: string, base: number, copying: boolean): JsonValue {
  values++;
  switch (typeof v) {
    case "string":
      bound += 6 * v.length + 2;
      if (!copying && !(v as unknown as MaybeWellFormed).isWellFormed()) plain = false;
      return v;
    case "boolean":
      bound += 5;
      return v;
    case "number":
      bound += 25;
      if (Number.isFinite(v)) return v === 0 ? 0 : v;
      return fail(root, base, Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    case "object":
      break;
    case "bigint":
      return fail(root, base, "BigInt");
    default:
      return fail(root, base, typeof v);
  }
  bound += 4;
  if (v === null) return null;
  for (let d = base; d < top; d++) if (sources[d] === v) return fail(root, base, "circular reference");
  let copy: JsonValue[] | { [key: string]: JsonValue } | null = null;
  let keys: string[] | null = null;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return fail(root, base, describe(v));
    if (copying) copy = new Array(v.length);
  } else {
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== objectProto && proto !== null) return fail(root, base, describe(v));
    if (copying) copy = {};
    keys = Object.keys(v);
  }
  if (top - base > MAX_JSON_DEPTH) {
    throw new TypeError(`${formatLongPath(root, pathOf(base))}: nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (top - base >= depth) depth = top - base + 1;
  sources[top] = v;
  copies[top] = copy;
  keyLists[top] = keys;
  indexes[top] = 0;
  top++;
  return copy;
}

/** The path to the child being copied at the deepest level. */
function pathOf(base: number): (string | number)[] {
  const path: (string | number)[] = [];
  for (let d = base; d < top; d++) {
    const keys = keyLists[d]!;
    const i = indexes[d]! - 1;
    path.push(keys === null ? i : keys[i]!);
  }
  return path;
}

function fail(root: string, base: number, what: string): never {
  throw new TypeError(`${formatPath(root, pathOf(base))}: ${what} is not JSON-serializable`);
}

/** Like `formatPath`, with the middle of a very long path left out: `args[0][0]…(990 more)…[0][0]`. */
function formatLongPath(root: string, path: readonly (string | number)[]): string {
  if (path.length <= 3 * PATH_ENDS) return formatPath(root, path);
  const head = formatPath(root, path.slice(0, PATH_ENDS));
  const tail = formatPath("", path.slice(-PATH_ENDS));
  return `${head}…(${path.length - 2 * PATH_ENDS} more)…${tail}`;
}

/** Names a non-plain object the way a user would recognise it: `Date`, `Map`, `Buffer`, `Point`. */
function describe(v: object): string {
  const ctor = (v as { constructor?: unknown }).constructor;
  if (typeof ctor === "function" && ctor.name) return ctor.name;
  return "object with a custom prototype";
}

const identifier = /^[A-Za-z_$][\w$]*$/;

/** `args`, [0, "when"] → `args[0].when`; keys that are not identifiers are quoted: `args[0]["a b"]`. */
export function formatPath(root: string, path: readonly (string | number)[]): string {
  let out = root;
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (identifier.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
