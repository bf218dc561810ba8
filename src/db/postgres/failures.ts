import { TaskStoreError } from "../../errors.ts";
import { scrub } from "./url.ts";

/*
 * Which pg failures mean "the connection went away" (retry once it is back) and which mean the
 * request itself was wrong (report at once). pg's own connection errors carry no code, only a
 * message, so those are matched by message.
 */

const NODE_CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOENT", // the unix socket file is gone while the server restarts
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

const SERVER_GONE_STATES = new Set([
  "57P01", // admin_shutdown: the server is shutting down (pg_ctl stop, restart)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: the server is starting up or shutting down
  "40001", // serialization_failure: the transaction was rolled back, nothing happened
  "40P01", // deadlock_detected: likewise
]);

const PG_CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|server closed the connection/i;

export const TOO_MANY_CONNECTIONS = "53300";

/** A lost or refused connection, or a transaction the server rolled back: the same request may be sent again. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (NODE_CONNECTION_CODES.has(code) || SERVER_GONE_STATES.has(code)) return true;
    if (code.startsWith("08")) return true; // connection_exception class
  }
  return error instanceof Error && PG_CONNECTION_MESSAGES.test(error.message);
}

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The failure as a TaskStoreError naming where and what, with the password scrubbed. */
export function storeError(
  location: string,
  operation: string,
  error: unknown,
  password: string,
  maxConnections?: number,
): TaskStoreError {
  if (error instanceof TaskStoreError) return error;
  const state = sqlState(error);
  const raw = error instanceof Error ? error.message : String(error);
  let detail = raw;
  if (state === TOO_MANY_CONNECTIONS) {
    const limit = maxConnections === undefined ? "" : ` (${maxConnections})`;
    detail =
      `the server has no connection slot left: its max_connections${limit} is reached (${raw}). ` +
      "Each tasklane store uses a small pool plus one LISTEN connection: lower `poolSize`, run fewer processes, or raise max_connections";
  } else if (state === "3D000") {
    detail = `${raw}: create the database first (createdb)`;
  } else if (state !== undefined && /^[0-9A-Z]{5}$/.test(state)) {
    // The server's DETAIL says which value it refused (e.g. "\u0000 cannot be converted to text.").
    const serverDetail = (error as { detail?: unknown }).detail;
    detail =
      typeof serverDetail === "string" ? `${raw}: ${serverDetail} (SQLSTATE ${state})` : `${raw} (SQLSTATE ${state})`;
  }
  const wrapped = new TaskStoreError(scrub(`PostgreSQL ${location}: ${operation}: ${detail}`, password));
  Object.defineProperty(wrapped, "sqlState", { value: state, enumerable: false });
  return wrapped;
}
