import { inspect, types } from "node:util";

/**
 * The record of one failed attempt. It is plain data so it crosses process boundaries intact; it
 * keeps the original class name, message, stack and `code` (thread and process pools commonly lose some of these: the README's "Failure semantics").
 */
export interface TaskError {
  /** The thrown error's class name, e.g. `TypeError`, `ValidationError`, `WorkerCrashed`. */
  readonly exceptionClassPath: string;
  /** The error's message. */
  readonly message: string;
  /** The full stack text, as `error.stack` printed it where the error was thrown. */
  readonly traceback: string;
  /** The error's `code` property, when it had a string or number one (`ENOENT`, `ERR_…`). */
  readonly code?: string | number;
  /** Set when the error was marked unrecoverable (`UnrecoverableError`): it is not retried. */
  readonly unrecoverable?: true;
}

/** The longest description of a thrown non-error value kept in a record, in characters. */
const MAX_DESCRIPTION = 2000;

/**
 * Turns anything a task threw into a TaskError record. It never throws itself, whatever it is given:
 * every read of the thrown value is guarded (a getter or a Proxy trap may throw), and a value that
 * is not an error is described with `util.inspect`, which keeps the fields of a cyclic object, calls
 * no getter and no Proxy trap, and is cut to a bounded length.
 */
export function toTaskError(thrown: unknown): TaskError {
  try {
    return recordOf(thrown);
  } catch {
    // Only a hostile value gets here (its every property throws): say what little is known.
    return { exceptionClassPath: "thrown object", message: "(unreadable)", traceback: "thrown object: (unreadable)" };
  }
}

/**
 * A one-line-or-stack description of anything thrown, for warnings and logs: the stack of an
 * error, else a bounded `util.inspect`. Never throws.
 */
export function describeThrown(thrown: unknown): string {
  try {
    if (!types.isProxy(thrown) && isError(thrown)) {
      const stack = read(thrown as object, "stack");
      if (typeof stack === "string") return stack;
      const message = textOf(read(thrown as object, "message"));
      return `${classNameOf(thrown as object)}: ${message}`;
    }
    return typeof thrown === "string" ? thrown : inspectBounded(thrown);
  } catch {
    return "(an unreadable thrown value)";
  }
}

/** `RangeError: Maximum call stack size exceeded`: a thrown value's class and message on one line. Never throws. */
export function summarizeThrown(thrown: unknown): string {
  const record = toTaskError(thrown);
  return record.exceptionClassPath.startsWith("thrown ")
    ? record.traceback
    : `${record.exceptionClassPath}: ${record.message}`;
}

function recordOf(thrown: unknown): TaskError {
  if (types.isProxy(thrown)) {
    // Its traps may throw at every touch; inspect shows the target without calling them.
    const message = inspectBounded(thrown);
    return { exceptionClassPath: "thrown Proxy", message, traceback: `thrown Proxy: ${message}` };
  }
  if (isError(thrown)) {
    const err = thrown as object;
    const className = classNameOf(err);
    const message = textOf(read(err, "message"));
    const stack = read(err, "stack");
    const record: { -readonly [K in keyof TaskError]: TaskError[K] } = {
      exceptionClassPath: className,
      message,
      traceback: typeof stack === "string" ? stack : `${className}: ${message}`,
    };
    const code = read(err, "code");
    if (typeof code === "string" || typeof code === "number") record.code = code;
    if (read(err, "unrecoverable") === true) record.unrecoverable = true;
    return record;
  }
  // A thrown string, number or plain object: keep what it said, name what it was.
  const kind = thrown === null ? "null" : typeof thrown;
  const message = typeof thrown === "string" ? thrown : inspectBounded(thrown);
  return {
    exceptionClassPath: `thrown ${kind}`,
    message,
    traceback: `thrown ${kind}: ${message}`,
  };
}

/** Errors from another realm (a vm context, a worker) fail `instanceof Error` but look the same. */
function isError(v: unknown): boolean {
  if (v instanceof Error) return true;
  return typeof v === "object" && v !== null && "message" in v && "stack" in v;
}

function read(obj: object, key: string): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function classNameOf(err: object): string {
  const ctor = read(err, "constructor");
  const ctorName = typeof ctor === "function" ? read(ctor, "name") : undefined;
  if (typeof ctorName === "string" && ctorName) return ctorName;
  const name = read(err, "name");
  return typeof name === "string" && name ? name : "Error";
}

/** A message as text; one whose `toString` throws is inspected instead. */
function textOf(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  try {
    return String(v);
  } catch {
    return inspectBounded(v);
  }
}

function inspectBounded(v: unknown): string {
  let text: string;
  try {
    text = inspect(v, {
      depth: 4,
      maxArrayLength: 20,
      maxStringLength: MAX_DESCRIPTION,
      breakLength: Number.POSITIVE_INFINITY,
    });
  } catch {
    // A custom inspect function threw.
    text = Object.prototype.toString.call(v);
  }
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}… (${text.length} characters)` : text;
}
