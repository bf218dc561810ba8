import type { JsonValue } from "./json.ts";
import type { TaskError } from "./task-error.ts";

/**
 * How one attempt ended. Plain data, so a worker sends it as it is; a leaf type, so the engine and
 * the wire name it without importing results or tasks. A worker holds its value encoded (a `Payload`).
 */
export type Outcome<V = JsonValue> = { ok: true; value: V } | { ok: false; error: TaskError };
