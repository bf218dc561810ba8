import type { JsonValue } from "./json.ts";
import type { TaskError } from "./task-error.ts";

/**
 * How one attempt ended. Plain data, so a worker sends it as it is; a leaf type, so the engine and
 * the wire name it without importing results or tasks.
 */
export type Outcome = { ok: true; value: JsonValue } | { ok: false; error: TaskError };
