/**
 * Property-based: thousands of random values thrown at `enqueue` on a live pool. Each is either
 * accepted and arrives in the task equal to its JSON round trip, or refused with a TypeError naming
 * its path; the pool keeps working throughout.
 *
 * The oracle is independent of tasklane's own JSON code: a value is JSON exactly when
 * `JSON.parse(JSON.stringify(value))` gives it back, compared strictly (types, prototypes, holes).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAll, configure, getBackend, type JsonValue, type PoolBackend } from "../../src/index.ts";
import { echo } from "../fixtures/pools/tasks.ts";

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Deep equality that a JSON round trip must preserve: same types, no lost keys, no holes. */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b; // -0 and 0 are the same JSON
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return Object.is(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    if (Object.getPrototypeOf(a) !== Array.prototype) return false;
    for (let i = 0; i < a.length; i++) {
      if (!(i in a) || !sameJson(a[i], b[i])) return false;
    }
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  if (Object.getOwnPropertySymbols(a).length > 0) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every(
    (k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** The oracle: does `value` survive a JSON round trip unchanged? */
function survivesJson(value: unknown): boolean {
  try {
    const text = JSON.stringify(value);
    return text !== undefined && sameJson(value, JSON.parse(text));
  } catch {
    return false; // BigInt, cycles
  }
}

class Point {
  readonly x: number;
  readonly y: number;
  constructor(x: number, y: number) {
    this.x = x;
    this.y = y;
  }
}

/** Values of every kind: mostly JSON, with the non-JSON kinds mixed in at every depth. */
const anyValue = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue() },
  {
    weight: 4,
    arbitrary: fc.anything({
      maxDepth: 3,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withObjectString: true,
      withUnicodeString: true,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -0,
      () => 1,
      Symbol("s"),
      new Point(1, 2),
      Buffer.from("x"),
      /re/,
      [1, undefined],
      { a: undefined },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.jsonValue().map((inner) => {
      const cyclic: Record<string, unknown> = { inner };
      cyclic.self = cyclic;
      return cyclic;
    }),
  },
);

describe.each(["process-pool", "thread-pool"] as const)("%s: random values at enqueue", (backendName) => {
  beforeAll(() => {
    configure({ default: { backend: backendName, options: { maxWorkers: 2 } } });
  });
  afterAll(async () => {
    await closeAll();
  });

  it("accepts exactly the JSON values, delivers them intact, and refuses the rest by path", async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(anyValue, async (value) => {
        const json = survivesJson(value);
        const enqueued = echo.enqueue(value as JsonValue);
        if (!json) {
          await expect(enqueued).rejects.toThrow(TypeError);
          await expect(enqueued).rejects.toThrow(/^args\[0\].*: .+ is not JSON-serializable$/);
          refused++;
          return;
        }
        const result = await (await enqueued).wait({ timeoutMs: 20_000 });
        expect(result.status).toBe("SUCCESSFUL");
        expect(sameJson(result.returnValue, JSON.parse(JSON.stringify(value)))).toBe(true);
        accepted++;
      }),
      { numRuns: 2000 },
    );
    // Both kinds were exercised, and the pool is intact: nothing pending, no more workers than allowed.
    expect(accepted).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(200);
    const backend = getBackend() as PoolBackend;
    expect(backend.pending).toBe(0);
    expect(backend.workerInfo().length).toBeLessThanOrEqual(2);
    expect((await (await echo.enqueue("still working")).wait()).returnValue).toBe("still working");
  }, 120_000);
});
