/**
 * How the payloads of frames (a RUN's arguments, a SUCCEEDED's value) cross a worker thread's port:
 * as JSON text in a string, parsed on arrival. A string is copied flat by `postMessage`, where a
 * structured clone of the object would walk it on the sender's thread and rebuild it on the
 * receiver's: measured on a ~100 KB argument, the parent's side of that clone (362 µs) cost as much
 * as the whole JSON serialisation it replaces (README, "Where the time goes"). The positions are
 * fixed by the protocol, so a string there is always text: an argument list is never a string, and
 * a thread's loop always encodes its values.
 */
import { JsonText } from "./json-text.ts";
import { RUN, SUCCEEDED } from "./protocol.ts";

/** The index of the payload in a frame with this code, or -1. */
function payloadIndex(code: unknown): number {
  return code === RUN ? 4 : code === SUCCEEDED ? 3 : -1;
}

/** Before `postMessage`: each payload held as `JsonText` becomes its string (the frames are changed in place). */
export function textPayloads(frames: readonly unknown[]): void {
  for (const frame of frames as unknown[][]) {
    const at = payloadIndex(frame[0]);
    const payload = at < 0 ? undefined : frame[at];
    if (payload instanceof JsonText) frame[at] = payload.text;
  }
}

/**
 * On arrival: each payload that came as a string is parsed (in place). An argument list sent as an
 * array (by an engine user that passed one) is left as it came.
 * @throws SyntaxError when a payload string is not JSON (a task posting to the port itself).
 */
export function parsePayloads(frames: readonly unknown[]): void {
  for (const frame of frames as unknown[][]) {
    const at = payloadIndex(frame[0]);
    if (at >= 0 && typeof frame[at] === "string") frame[at] = JSON.parse(frame[at] as string);
  }
}
