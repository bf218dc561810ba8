import type { JsonValue } from "../json.ts";
import { CliError } from "./errors.ts";

/**
 * Parses the task arguments given on the command line, one JSON value each.
 * @throws CliError (exit 2) naming the first argument that is not JSON.
 */
export function parseJsonArgs(raw: readonly string[]): JsonValue[] {
  return raw.map((text, i) => {
    try {
      return JSON.parse(text) as JsonValue;
    } catch (error) {
      throw new CliError(
        `Task argument ${i + 1} (${text}) is not valid JSON: ${(error as Error).message}. Each argument is ` +
          `one JSON value, so a string needs JSON's double quotes inside the shell's quotes, e.g. '"hello"'.`,
      );
    }
  });
}
