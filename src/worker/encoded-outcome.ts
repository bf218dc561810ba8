import { checkJson, type JsonFacts } from "../json.ts";
import type { Outcome } from "../outcome.ts";
import { summarizeThrown, type TaskError, toTaskError } from "../task-error.ts";
import { encodeChecked, Payload } from "../wire/payload.ts";

const NULL_PAYLOAD = new Payload("null", false, 4);

/**
 * A worker's `runTask` finish: the return value checked against the JSON rules and encoded at once,
 * so the frame carries what the task returned at that moment (nothing the task does later can
 * change it) and nobody walks or copies it again.
 */
export function encodedOutcome(value: unknown): Outcome<Payload> {
  if (value === undefined) return { ok: true, value: NULL_PAYLOAD };
  let facts: Readonly<JsonFacts>;
  try {
    facts = checkJson(value, "returnValue");
  } catch (error) {
    return { ok: false, error: toTaskError(error) };
  }
  try {
    return { ok: true, value: encodeChecked(value, facts) };
  } catch (error) {
    // Past V8's longest string, or deeper than this thread's stack lets the encoder go.
    return { ok: false, error: unsendable("return value", error) };
  }
}

/** The error of a job whose outcome (`what`: its return value or its error) cannot reach the parent. */
export function unsendable(what: string, error: unknown): TaskError {
  return toTaskError(new TypeError(`The task's ${what} could not be sent to the parent: ${summarizeThrown(error)}`));
}
