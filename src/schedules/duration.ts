/**
 * Durations in schedules: a number of milliseconds, or a short string for configuration files
 * (`"90s"`, `"15m"`, `"1h30m"`, `"2d"`). Hand-written rather than the `ms` package because that one
 * accepts loose forms (`"1.5 hours"`, `"1y"` as 365.25 days) and answers `undefined` without saying
 * what was wrong; this grammar is five units and an error that names the part it could not read.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
// A unit must end its part ("15minutes" is not 15 m and junk).
const PART = /(\d+)(ms|s|m|h|d)(?=\d|$)/y;

/** A duration as a string: one or more `<whole number><unit>` parts, units `ms`, `s`, `m`, `h`, `d`. */
export type DurationString = `${number}${"ms" | "s" | "m" | "h" | "d"}${string}`;

/**
 * Milliseconds of a duration: a whole number of ms as it is, or a string such as `"1h30m"`.
 * @returns the milliseconds, or a sentence saying why the value is not a duration.
 */
export function parseDuration(value: unknown): number | { readonly problem: string } {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    return { problem: `${String(value)} is not a whole number of milliseconds` };
  }
  if (typeof value !== "string") {
    return { problem: `${JSON.stringify(value) ?? String(value)} is neither milliseconds nor a duration string` };
  }
  const text = value.replace(/\s+/g, "");
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) {
      return {
        problem: `'${value}' is not a duration: write whole numbers with units ms, s, m, h, d, e.g. "90s", "15m", "1h30m"`,
      };
    }
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  if (text === "") return { problem: "an empty string is not a duration" };
  if (!Number.isSafeInteger(total)) return { problem: `'${value}' is too long a duration` };
  return total;
}

/** The shortest duration string for `ms`: 5_400_000 → `"1h30m"`, 1500 → `"1s500ms"`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0ms";
  let rest = ms;
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNIT_MS[unit] as number;
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
