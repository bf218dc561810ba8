/*
 * How messages name the values they are about. A leaf: anything may import it, it imports nothing.
 */

/** A value as it would be written in a configuration: JSON where it has one, else `String(value)`. Never throws. */
export function describeValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // A BigInt, a cycle, a throwing toJSON: the plain string form still says what it was.
    return String(value);
  }
}

/** The message of an error, or the string form of anything else thrown. */
export function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
