/**
 * The JSON rules (semantics.md §3): twins of Django's normalize_json tests
 * (tests/utils_tests/test_json.py and the older tests/tasks/test_utils.py JSONNormalizeTestCase),
 * with tasklane's stricter rules and messages, both on `normalizeJson` and through `enqueue`.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  closeAll,
  configure,
  type DummyBackend,
  getBackend,
  type JsonValue,
  normalizeJson,
  TaskResultStatus,
  taskEvents,
} from "../../src/index.ts";
import { checkJson } from "../../src/json.ts";
import { decodePayload, encodePayload } from "../../src/wire/payload.ts";
import { echo, noopTask } from "../fixtures/core/tasks.ts";

class Point {
  readonly x: number;
  readonly y: number;
  constructor(x: number, y: number) {
    this.x = x;
    this.y = y;
  }
}

class MyArray extends Array<number> {}

function nullProto(entries: Record<string, unknown>): object {
  return Object.assign(Object.create(null) as object, entries);
}

function sparse(): unknown[] {
  const a: unknown[] = [1];
  a[2] = 3;
  return a;
}

function arrayCycle(): unknown[] {
  const a: unknown[] = [];
  a.push(a);
  return a;
}

function objectCycle(): object {
  const o: Record<string, unknown> = { name: "loop" };
  o.self = o;
  return o;
}

function deepCycle(): object {
  const o: Record<string, unknown> = {};
  o.children = [{ parent: o }];
  return o;
}

/** Accepted values and what they normalise to (Django's test_converts_json_types / test_round_trip). */
const accepted: [string, unknown, JsonValue][] = [
  ["null", null, null],
  ["true", true, true],
  ["false", false, false],
  ["an integer", 2, 2],
  ["a float", 3.5, 3.5],
  ["a large number", 1e23 + 1, 1e23],
  ["-0 (becomes 0)", -0, 0],
  ["a string", "1", "1"],
  ["an empty string", "", ""],
  ["an empty array", [], []],
  ["an empty object", {}, {}],
  ["a nested array", [1, [2, [3, ["four"]]]], [1, [2, [3, ["four"]]]]],
  ["a nested object", { foo: [1, 2, 3], bar: { baz: null } }, { foo: [1, 2, 3], bar: { baz: null } }],
  ["an object with a null prototype", nullProto({ a: 1, b: [true] }), { a: 1, b: [true] }],
  ["an object with a numeric-string key", { 1: "a" }, { "1": "a" }],
  [
    "the same object twice (not a cycle)",
    (() => {
      const shared = { n: 1 };
      return [shared, shared];
    })(),
    [{ n: 1 }, { n: 1 }],
  ],
];

/** Rejected values, with the exact message for the path `args[0]…` (Django's test_encode_error). */
const rejected: [string, unknown, string][] = [
  ["a Date in an object", { when: new Date(0) }, "args[0].when: Date is not JSON-serializable"],
  ["undefined in an array", [undefined], "args[0][0]: undefined is not JSON-serializable"],
  ["undefined as an object value", { a: undefined }, "args[0].a: undefined is not JSON-serializable"],
  ["undefined itself", undefined, "args[0]: undefined is not JSON-serializable"],
  ["a function", () => 1, "args[0]: function is not JSON-serializable"],
  ["a symbol", Symbol("s"), "args[0]: symbol is not JSON-serializable"],
  ["a BigInt", 10n, "args[0]: BigInt is not JSON-serializable"],
  ["NaN", Number.NaN, "args[0]: NaN is not JSON-serializable"],
  ["Infinity", Number.POSITIVE_INFINITY, "args[0]: Infinity is not JSON-serializable"],
  ["-Infinity", Number.NEGATIVE_INFINITY, "args[0]: -Infinity is not JSON-serializable"],
  ["a Date", new Date(0), "args[0]: Date is not JSON-serializable"],
  ["a Map", new Map([["a", 1]]), "args[0]: Map is not JSON-serializable"],
  ["a Set", new Set([1]), "args[0]: Set is not JSON-serializable"],
  ["a RegExp", /x/, "args[0]: RegExp is not JSON-serializable"],
  ["a Buffer", Buffer.from("hello"), "args[0]: Buffer is not JSON-serializable"],
  ["a Uint8Array", new Uint8Array(2), "args[0]: Uint8Array is not JSON-serializable"],
  ["a class instance", new Point(1, 2), "args[0]: Point is not JSON-serializable"],
  ["an Array subclass", MyArray.from([1]), "args[0]: MyArray is not JSON-serializable"],
  ["a boxed string", new String("x"), "args[0]: String is not JSON-serializable"],
  ["an Error", new Error("x"), "args[0]: Error is not JSON-serializable"],
  ["a Promise", Promise.resolve(1), "args[0]: Promise is not JSON-serializable"],
  ["a sparse array", sparse(), "args[0][1]: array hole is not JSON-serializable"],
  ["an array containing itself", arrayCycle(), "args[0][0]: circular reference is not JSON-serializable"],
  ["an object containing itself", objectCycle(), "args[0].self: circular reference is not JSON-serializable"],
  ["a cycle through an array", deepCycle(), "args[0].children[0].parent: circular reference is not JSON-serializable"],
  ["a key that is not an identifier", { "a b": new Set() }, 'args[0]["a b"]: Set is not JSON-serializable'],
  ["a numeric key", { 0: { x: 1n } }, 'args[0]["0"].x: BigInt is not JSON-serializable'],
  ["a quote in a key", { 'say "hi"': Number.NaN }, 'args[0]["say \\"hi\\""]: NaN is not JSON-serializable'],
  [
    "an identifier-like key with $ and _",
    { $_ok: [1, { deep: undefined }] },
    "args[0].$_ok[1].deep: undefined is not JSON-serializable",
  ],
];

describe("normalizeJson (Django normalize_json)", () => {
  it.each(accepted)("accepts %s (test_converts_json_types)", (_name, value, expected) => {
    const normalized = normalizeJson(value, "value");

    expect(normalized).toEqual(expected);
    expect(JSON.parse(JSON.stringify(normalized))).toEqual(expected);
  });

  it("-0 becomes 0, at the top and nested", () => {
    expect(Object.is(normalizeJson(-0, "value"), 0)).toBe(true);
    const nested = normalizeJson({ a: [-0] }, "value") as { a: number[] };
    expect(Object.is(nested.a[0], 0)).toBe(true);
  });

  it("returns a deep copy with ordinary prototypes (test_round_trip)", () => {
    const input = { list: [1, { inner: true }], np: nullProto({ k: "v" }) };
    const out = normalizeJson(input, "value") as { list: [number, object]; np: object };

    expect(out).not.toBe(input);
    expect(out.list).not.toBe(input.list);
    expect(out.list[1]).not.toBe(input.list[1]);
    expect(Object.getPrototypeOf(out.np)).toBe(Object.prototype);
    expect(Array.isArray(out.list)).toBe(true);
  });

  it("keeps '__proto__' as an ordinary key, without touching any prototype", () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    const out = normalizeJson(input, "value") as Record<string, unknown>;

    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });

  it.each(rejected)("refuses %s with a TypeError naming path and type (test_encode_error)", (_name, value, message) => {
    expect(() => normalizeJson([value], "args")).toThrow(new TypeError(message));
  });

  it("names the root it was given", () => {
    expect(() => normalizeJson(new Date(0), "value")).toThrow(new TypeError("value: Date is not JSON-serializable"));
    expect(() => normalizeJson({ x: new Date(0) }, "returnValue")).toThrow(
      new TypeError("returnValue.x: Date is not JSON-serializable"),
    );
  });
});

describe("encodePayload (the pool backends' one walk and one encoding)", () => {
  const roundTrip = (value: unknown) => decodePayload(encodePayload(value, "value"));

  it.each(accepted)("accepts %s, and decodes to the normalised value", (_name, value, expected) => {
    expect(roundTrip(value)).toEqual(expected);
    // The same again in a value large enough to travel as msgpack.
    const large = [...new Array<number>(300).fill(1), value];
    expect(encodePayload(large, "value").packed).toBe(true);
    expect(roundTrip(large)).toEqual([...new Array<number>(300).fill(1), expected]);
  });

  it.each(rejected)("refuses %s with the same TypeError as normalizeJson", (_name, value, message) => {
    expect(() => encodePayload([value], "args")).toThrow(new TypeError(message));
  });

  it("decodes to normalizeJson's copy for any JSON value, small or packed", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, large) => {
        const input = large ? [new Array(300).fill(0), value] : value;
        return isDeepStrictEqual(roundTrip(input), normalizeJson(input, "value"));
      }),
      { numRuns: 500 },
    );
  });

  it("gives -0 as 0 and keeps '__proto__' an ordinary key and lone surrogates as they were", () => {
    expect(Object.is((roundTrip({ a: [-0] }) as { a: number[] }).a[0], 0)).toBe(true);
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    const out = roundTrip([new Array(300).fill(0), input]) as [unknown, Record<string, unknown>];
    expect(Object.hasOwn(out[1], "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(out[1])).toBe(Object.prototype);
    expect(roundTrip([new Array(300).fill(0), "\ud800"])).toEqual([new Array(300).fill(0), "\ud800"]);
  });
});

describe("checkJson: its fast path and the walk it hands unusual values to", () => {
  /** The facts by the walk alone: an enumerable key on Object.prototype sends every value there. */
  const byWalk = (value: unknown) => {
    Object.defineProperty(Object.prototype, "__walk__", { value: 1, enumerable: true, configurable: true });
    try {
      return { ...checkJson(value, "value") };
    } finally {
      delete (Object.prototype as Record<string, unknown>).__walk__;
    }
  };
  const nest = (levels: number, leaf: JsonValue): JsonValue => {
    let value = leaf;
    for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { k: value };
    return value;
  };

  it("learns what the walk learns of any JSON value, shallow or past the fast path's depth", () => {
    const value = fc.oneof(
      fc.jsonValue(),
      fc
        .tuple(fc.integer({ min: 60, max: 70 }), fc.jsonValue())
        .map(([levels, leaf]) => nest(levels, leaf as JsonValue)),
      // Lone surrogates and "__proto__" keys make a value not plain.
      fc.constantFrom("\ud800", { "\udc00": 1 }, JSON.parse('{"__proto__": [1]}') as JsonValue),
    );
    fc.assert(
      fc.property(fc.array(value), (args) => isDeepStrictEqual({ ...checkJson(args, "args") }, byWalk(args))),
      { numRuns: 500 },
    );
  });

  it("checks own keys only, whatever a prototype adds", () => {
    const facts = byWalk([{ a: 1 }]);
    expect(facts).toEqual({ values: 3, depth: 2, bound: 4 + 1 + 4 + (6 + 4) + 25, plain: true });
  });
});

describe("the JSON rules through enqueue", () => {
  beforeEach(() => {
    configure({ default: { backend: "dummy", queues: [] }, immediate: { backend: "immediate", queues: [] } });
  });

  afterEach(async () => {
    await closeAll();
  });

  function dummy(): DummyBackend {
    return getBackend() as DummyBackend;
  }

  it.each(rejected)("enqueue refuses %s and stores nothing", async (_name, value, message) => {
    await expect(noopTask.enqueue(value as JsonValue)).rejects.toThrow(new TypeError(message));
    expect(dummy().results).toEqual([]);
  });

  it("a refused argument further along names its own index", async () => {
    await expect(noopTask.enqueue(1, "two", { three: [3, new Map()] } as never)).rejects.toThrow(
      new TypeError("args[2].three[1]: Map is not JSON-serializable"),
    );
    expect(dummy().results).toEqual([]);
  });

  it("the immediate backend runs nothing and emits nothing for a refused argument", async () => {
    const seen: string[] = [];
    const off = taskEvents.on("taskEnqueued", (r) => seen.push(r.id));
    try {
      await expect(echo.using({ backend: "immediate" }).enqueue(new Date(0) as never)).rejects.toThrow(
        new TypeError("args[0]: Date is not JSON-serializable"),
      );
    } finally {
      off();
    }
    expect(seen).toEqual([]);
  });

  it.each(accepted)("enqueue stores %s normalised", async (_name, value, expected) => {
    const result = await echo.enqueue(value as JsonValue);

    expect(result.args).toEqual([expected]);
    expect(dummy().results[0]!.args).toEqual([expected]);
  });

  it("the task receives and returns the normalised value on the immediate backend", async () => {
    const result = await echo.using({ backend: "immediate" }).enqueue(nullProto({ n: -0, list: [1] }) as JsonValue);

    expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
    expect(result.returnValue).toEqual({ n: 0, list: [1] });
    expect(Object.is((result.returnValue as { n: number }).n, 0)).toBe(true);
  });

  it("mutating an argument after enqueue does not change result.args", async () => {
    const arg = { tags: ["a"], meta: { count: 1 } };
    const result = await echo.enqueue(arg);

    arg.tags.push("b");
    arg.meta.count = 2;

    expect(result.args).toEqual([{ tags: ["a"], meta: { count: 1 } }]);
  });
});
