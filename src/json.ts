/**
 * The JSON rules for task arguments and return values (semantics.md §3): a value is accepted when it
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
 * Checks `value` against the JSON rules and returns a normalised deep copy (`-0` becomes `0`), so a
 * caller mutating its arguments after `enqueue` cannot change what the task receives.
 *
 * @param root - the name of the value in error messages, e.g. `args` or `returnValue`.
 * @param size - when given, `size.bytes` grows by an upper bound of the value's UTF-8 JSON length
 *   (6 bytes per string character, the length of `\u0000`; 24 per number), so a caller can enforce a payload limit without
 *   serialising every value; only a value near the limit needs an exact measurement.
 * @throws TypeError naming the path and the type, e.g. `args[0].when: Date is not JSON-serializable`.
 */
export function normalizeJson(value: unknown, root: string, size?: { bytes: number }): JsonValue {
  // The path is kept as a stack of segments and only formatted when something is wrong, so the
  // common case does no string work at all.
  const path: (string | number)[] = [];
  const ancestors: object[] = [];

  const fail = (what: string): never => {
    throw new TypeError(`${formatPath(root, path)}: ${what} is not JSON-serializable`);
  };

  const visit = (v: unknown): JsonValue => {
    switch (typeof v) {
      case "string":
        if (size) size.bytes += 6 * v.length + 2;
        return v;
      case "boolean":
        if (size) size.bytes += 5;
        return v;
      case "number":
        if (size) size.bytes += 24;
        if (Number.isFinite(v)) return v === 0 ? 0 : v;
        return fail(Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
      case "object":
        break;
      case "bigint":
        return fail("BigInt");
      default:
        return fail(typeof v);
    }
    if (size) size.bytes += 4;
    if (v === null) return null;
    if (ancestors.includes(v)) return fail("circular reference");
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) return fail(describe(v));
      ancestors.push(v);
      const out: JsonValue[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        if (!(i in v)) fail("array hole");
        out[i] = visit(v[i]);
        path.pop();
      }
      ancestors.pop();
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== objectProto && proto !== null) return fail(describe(v));
    ancestors.push(v);
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(v)) {
      if (size) size.bytes += 6 * key.length + 4;
      path.push(key);
      // defineProperty, not assignment: a "__proto__" key must stay an ordinary key.
      Object.defineProperty(out, key, {
        value: visit((v as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      path.pop();
    }
    ancestors.pop();
    return out;
  };

  return visit(value);
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
