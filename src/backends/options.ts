import { describeValue } from "../describe.ts";
import { InvalidTaskBackend } from "../errors.ts";

/** Describes one backend option: how to check it, and its default. */
export interface OptionSpec<T> {
  readonly check: (value: unknown) => value is T;
  /** Says what a valid value is, for the error message: "a whole number >= 1". */
  readonly expected: string;
  readonly default: T;
}

export const positiveInteger = (fallback: number): OptionSpec<number> => ({
  check: (v): v is number => Number.isSafeInteger(v) && (v as number) >= 1,
  expected: "a whole number >= 1",
  default: fallback,
});

/**
 * Reads a backend's options against their specs. Unknown names and bad values are refused with the
 * alias and option named, so a typo in a configuration fails loudly instead of being ignored.
 */
export function readOptions<S extends Record<string, OptionSpec<unknown>>>(
  alias: string,
  backendName: string,
  options: Readonly<Record<string, unknown>>,
  specs: S,
): { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never } {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    if (!(key in specs)) {
      const known = Object.keys(specs);
      throw new InvalidTaskBackend(
        `Unknown option '${key}' for backend '${alias}' (${backendName}); ` +
          (known.length ? `expected one of: ${known.join(", ")}.` : "it takes no options."),
      );
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    const value = options[key];
    if (value === undefined) {
      out[key] = spec.default;
    } else if (spec.check(value)) {
      out[key] = value;
    } else {
      throw new InvalidTaskBackend(
        `Option '${key}' of backend '${alias}' (${backendName}) must be ${spec.expected} (got ${describeValue(value)}).`,
      );
    }
  }
  return out as { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };
}
