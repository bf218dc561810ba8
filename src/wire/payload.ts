/**
 * The payloads of frames (a RUN's arguments, a SUCCEEDED's value), encoded once by whoever has the
 * value (the backend at enqueue, the worker when the task returns) and decoded once by whoever
 * needs it (the worker just before the run, the pool on arrival, `result.args` when read).
 *
 * Two formats, chosen per value by measurement (`node bench/wire-format.mjs`; README, "Where the
 * time goes"): JSON text, spliced into a child's line as it is; and, for a large plain value,
 * msgpackr with record structures, base64 in the line. On ~100 KB of records the second was
 * encoded in 239 µs instead of 349 µs and decoded (base64 included) in 142 µs instead of 455 µs;
 * on a small value JSON was twice as fast both ways, so small values stay JSON. So does a value
 * msgpackr would change (see `JsonFacts.plain`) or one nested deep enough to strain its recursive
 * coder. A packed payload sets a flag after the frame's last element:
 * `[RUN, …, seq, 1]`, `[SUCCEEDED, key, finishedAt, value, 1]`.
 *
 * A worker thread's port carries a payload as a string too: `postMessage` copies a string flat,
 * where the structured clone of ~100 KB of records cost the sender 404 µs, more than encoding it.
 */
import { Packr, Unpackr } from "msgpackr";
import { checkJson, type JsonFacts, type JsonValue } from "../json.ts";
import { Payload } from "./payload-value.ts";
import { RUN, SUCCEEDED } from "./protocol.ts";

export { Payload };

/** Below this many values JSON is as fast as msgpackr both ways (measured on records and arrays). */
const PACK_MIN_VALUES = 256;
/** msgpackr recurses: a deeper value goes as JSON, which V8 writes and reads far deeper. */
const PACK_MAX_DEPTH = 64;

// Records without shared structures: each message defines the ones it uses, so any decoder reads it.
const packr = new Packr({ useRecords: true });
const unpackr = new Unpackr({ useRecords: true });

/**
 * Checks `value` against the JSON rules and encodes it.
 * @throws TypeError as `normalizeJson`; RangeError when it cannot be serialised at all.
 */
export function encodePayload(value: unknown, root: string): Payload {
  // The argument list of a task without parameters, most of a flood of small tasks.
  if (Array.isArray(value) && value.length === 0 && Object.getPrototypeOf(value) === Array.prototype) return EMPTY_LIST;
  return encodeChecked(value, checkJson(value, root));
}

const EMPTY_LIST = new Payload("[]", false, 2);

/** Encodes a value `checkJson` accepted, with what it learned. @throws RangeError when it cannot be serialised. */
export function encodeChecked(value: unknown, facts: Readonly<JsonFacts>): Payload {
  if (facts.values >= PACK_MIN_VALUES && facts.depth <= PACK_MAX_DEPTH && facts.plain) {
    // A copy: pack() returns a view of a buffer it reuses.
    return new Payload(Buffer.from(packr.pack(value)), true, facts.bound);
  }
  const text = JSON.stringify(value);
  return new Payload(text, false, text.length * 3);
}

/** The value a payload holds, a fresh copy each time. */
export function decodePayload(payload: Payload): JsonValue {
  if (!payload.packed) return JSON.parse(payload.text) as JsonValue;
  const bytes = payload.bytes;
  return bytes === null ? unpackPayload(payload.text) : (unpackr.unpack(bytes) as JsonValue);
}

function unpackPayload(base64: string): JsonValue {
  return unpackr.unpack(Buffer.from(base64, "base64")) as JsonValue;
}

/** The index of the payload in a frame with this code, or -1. */
function payloadIndex(code: unknown): number {
  return code === RUN ? 4 : code === SUCCEEDED ? 3 : -1;
}

/** Where the packed flag goes in a frame whose payload is at `at`: after its last element. */
function flagIndex(at: number): number {
  return at === 4 ? 9 : 4;
}

/** Whether `frame` holds a `Payload` where its code puts one. */
export function holdsPayload(frame: unknown): boolean {
  if (!Array.isArray(frame)) return false;
  const at = payloadIndex(frame[0]);
  return at >= 0 && frame[at] instanceof Payload;
}

/** Before `postMessage`: each `Payload` becomes its text, flagged when packed (the frames are changed in place). */
export function textPayloads(frames: readonly unknown[]): void {
  for (const frame of frames as unknown[][]) {
    const at = payloadIndex(frame[0]);
    const payload = at < 0 ? undefined : frame[at];
    if (!(payload instanceof Payload)) continue;
    frame[at] = payload.text;
    if (payload.packed) frame[flagIndex(at)] = 1;
  }
}

/**
 * A RUN's arguments as a worker holds them until the job runs: an array (parsed with a child's
 * line, or sent as one), or a `Payload` decoded only then. Decoding at once would keep up to a
 * buffer's worth of large values alive, which cost the children a fifth of their time in garbage
 * collection; decoded just before the run, a value dies young with the run.
 */
export function receivedArgs(frame: readonly unknown[]): readonly JsonValue[] | Payload {
  const args = frame[4];
  if (frame[9] === 1) return new Payload(args as string, true, 0);
  return typeof args === "string" ? new Payload(args, false, 0) : (args as JsonValue[]);
}

/**
 * On the pool's side: each SUCCEEDED value that came packed is unpacked, and, when `jsonAsText` (a
 * thread's port), each JSON text parsed; in a child's line JSON values were parsed with it. In place.
 * @throws when a value is not what its flag says (a task posting to the port itself).
 */
export function decodeValues(frames: readonly unknown[], jsonAsText: boolean): void {
  for (const frame of frames as unknown[][]) {
    if (frame[0] !== SUCCEEDED) continue;
    const value = frame[3];
    if (frame[4] === 1) {
      if (typeof value !== "string") throw new TypeError("a packed value that is not a string");
      frame[3] = unpackPayload(value);
      frame.length = 4; // the flag has done its job: the frame is as it would be unpacked
    } else if (jsonAsText && typeof value === "string") {
      frame[3] = JSON.parse(value);
    }
  }
}
