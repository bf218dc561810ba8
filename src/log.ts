import { debuglog } from "node:util";

/** Where tasklane writes its log lines. Replace it with `setLogger` (e.g. to route into pino). */
export interface TaskLogger {
  /** Lifecycle lines: `Task id=… path=… state=…`. */
  debug(message: string): void;
  /** A task failed (with its traceback), or a listener threw. */
  error(message: string): void;
}

const nodeDebug = debuglog("tasklane");

// Off by default, like Django's debug logging; switch it on with NODE_DEBUG=tasklane.
const defaultLogger: TaskLogger = { debug: nodeDebug, error: nodeDebug };
let logger: TaskLogger = defaultLogger;
let enabled = nodeDebug.enabled;

/** Replaces the logger; `null` restores the default (NODE_DEBUG=tasklane). */
export function setLogger(next: TaskLogger | null): void {
  logger = next ?? defaultLogger;
  enabled = next !== null || nodeDebug.enabled;
}

/** The current logger, or undefined when logging is off (so hot paths skip building messages). */
export function activeLogger(): TaskLogger | undefined {
  return enabled ? logger : undefined;
}
