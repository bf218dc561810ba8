/**
 * The record of one failed attempt. It is plain data so it crosses process boundaries intact; it
 * keeps the original class name, message, stack and `code` (every pool in lessons.md lost some).
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

/** Turns anything a task threw into a TaskError record. */
export function toTaskError(thrown: unknown): TaskError {
  if (thrown instanceof Error || isErrorLike(thrown)) {
    const err = thrown as Error & { code?: unknown };
    const ctor = (err as { constructor?: { name?: unknown } }).constructor;
    const className = typeof ctor?.name === "string" && ctor.name ? ctor.name : err.name || "Error";
    const message = String(err.message ?? "");
    const record: { -readonly [K in keyof TaskError]: TaskError[K] } = {
      exceptionClassPath: className,
      message,
      traceback: typeof err.stack === "string" ? err.stack : `${className}: ${message}`,
    };
    if (typeof err.code === "string" || typeof err.code === "number") record.code = err.code;
    if ((err as { unrecoverable?: unknown }).unrecoverable === true) record.unrecoverable = true;
    return record;
  }
  // A thrown string, number or plain object: keep what it said, name what it was.
  const kind = thrown === null ? "null" : typeof thrown;
  const message = typeof thrown === "string" ? thrown : safeString(thrown);
  return {
    exceptionClassPath: `thrown ${kind}`,
    message,
    traceback: `thrown ${kind}: ${message}`,
  };
}

/** Errors from another realm (a vm context, a worker) fail `instanceof Error` but look the same. */
function isErrorLike(v: unknown): boolean {
  return typeof v === "object" && v !== null && "message" in v && "stack" in v;
}

function safeString(v: unknown): string {
  try {
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
