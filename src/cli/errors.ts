/**
 * How the CLI fails. Each failure is a `CliError` carrying its exit code, so the command code can
 * throw from wherever it notices the problem and one place prints it.
 */

/** The task ran and finished SUCCESSFUL. */
export const EXIT_OK = 0;
/** The task ran and FAILED, or tasklane gave up waiting for it (`--timeout`). */
export const EXIT_FAILED = 1;
/** Bad usage or bad input: nothing was run. */
export const EXIT_USAGE = 2;

/** A failure the user can act on: its message is printed as it is, without a stack. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_USAGE, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
  }

  override get name(): string {
    return "CliError";
  }
}

/**
 * One line naming what was thrown: `TypeError: x is not a function (at /app/tasks.ts:3:9)`. Errors
 * may come from another realm or another copy of tasklane, so nothing here relies on `instanceof`.
 */
export function describeError(thrown: unknown): string {
  if (typeof thrown !== "object" || thrown === null || !("message" in thrown)) return String(thrown);
  const error = thrown as Error;
  // Compilers (esbuild through tsx) put the location on a second line; keep it, in one paragraph.
  const message = String(error.message)
    .trim()
    .replace(/\s*\n\s*/g, " ");
  const where = firstUserFrame(error.stack);
  return `${error.name || "Error"}: ${message}${where === undefined ? "" : ` (at ${where})`}`;
}

/** The innermost stack frame outside Node's and tsx's internals: where the user's code threw. */
function firstUserFrame(stack: unknown): string | undefined {
  if (typeof stack !== "string") return undefined;
  for (const line of stack.split("\n")) {
    const frame = /^\s+at (?:.*? \()?(.+?:\d+:\d+)\)?$/.exec(line)?.[1];
    if (frame === undefined) continue;
    if (frame.startsWith("node:") || frame.includes("/node_modules/")) continue;
    return frame;
  }
  return undefined;
}

/** The stable `code` of a tasklane error from any copy of tasklane (`TASKLANE_INVALID_TASK`…). */
export function tasklaneCode(thrown: unknown): string | undefined {
  if (typeof thrown !== "object" || thrown === null) return undefined;
  const code = (thrown as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("TASKLANE_") ? code : undefined;
}

/** What a value is, for messages: `null`, `an array`, `an object`, `a function`. */
export function describeKind(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
