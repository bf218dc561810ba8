/**
 * Line framing for byte streams (the child process pipe). Each write is one JSON array of frames
 * followed by `\n`; JSON never contains a raw newline, so `\n` is an unambiguous separator.
 *
 * The reader turns everything complete in a chunk into frames with a single `JSON.parse`: the
 * lines `[a,b]\n[c]\n` become the text `[[a,b],[c]]`. A busy reader therefore pays one parse per
 * chunk, however many batches the chunk holds.
 */

import { holdsPayload, type Payload } from "./payload.ts";
import { RUN, type RunFrame, SUCCEEDED } from "./protocol.ts";

/**
 * Encodes one batch (of frames, or of a control thread's asks) as a line: the one encoder of both
 * sides. A payload already encoded (payload.ts: a RUN's arguments, a SUCCEEDED's value) is spliced
 * in as it is; a batch without one is a single `JSON.stringify`.
 */
export function encodeBatch(frames: readonly unknown[]): string {
  if (!frames.some(holdsPayload)) return JSON.stringify(frames) + "\n";
  let line = "[";
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i];
    if (i > 0) line += ",";
    line += holdsPayload(frame) ? spliced(frame as unknown[]) : JSON.stringify(frame);
  }
  return line + "]\n";
}

/** Past this many characters a line goes to a socket as bytes (see `encodeLine`). */
const BYTES_FROM_CHARS = 32 * 1024;

/**
 * `encodeBatch` for a socket: a long line as its UTF-8 bytes. A string written to a socket that is
 * still busy with earlier writes waits in its queue on the collected heap, and each young collection
 * copies it; a buffer's bytes sit outside the heap (see payload-value.ts for what the two changes
 * saved together).
 */
export function encodeLine(frames: readonly unknown[]): string | Buffer {
  const line = encodeBatch(frames);
  return line.length < BYTES_FROM_CHARS ? line : Buffer.from(line, "utf8");
}

/**
 * A RUN or SUCCEEDED frame (protocol.ts has their layouts) written out by hand around its text: as
 * fast as one `JSON.stringify` of a batch of small frames, where a generic element-by-element
 * writer took twice as long (measured on batches of 64 no-op RUN frames).
 */
function spliced(frame: unknown[]): string {
  if (frame[0] === SUCCEEDED) {
    const value = frame[3] as Payload;
    return value.packed
      ? `[${SUCCEEDED},${frame[1]},${frame[2]},"${value.text}",1]`
      : `[${SUCCEEDED},${frame[1]},${frame[2]},${value.text}]`;
  }
  const [, key, ref, priority, args, resultId, attempt, meta, seq] = frame as RunFrame;
  const metaText = meta === 0 ? "0" : JSON.stringify(meta);
  const payload = args as Payload;
  // base64 needs no escaping inside quotes.
  const argsText = payload.packed ? `"${payload.text}"` : payload.text;
  const flag = payload.packed ? ",1" : "";
  return `[${RUN},${key},${ref},${priority},${argsText},${JSON.stringify(resultId)},${attempt},${metaText},${seq}${flag}]`;
}

/**
 * A line that is not a batch of frames: someone else wrote to the channel (a task, or a library that
 * took the fd for its own). `before` holds the batches of the chunk that came before it, intact.
 */
export class MalformedFrame extends Error {
  readonly before: unknown[][];

  constructor(message: string, before: unknown[][]) {
    super(message);
    this.name = "MalformedFrame";
    this.before = before;
  }
}

/** Whether `value` is a batch: an array of frames, each an array whose first element is a code. */
export function isBatch(value: unknown): value is unknown[][] {
  if (!Array.isArray(value)) return false;
  for (const frame of value) if (!Array.isArray(frame) || typeof frame[0] !== "number") return false;
  return true;
}

/** Accumulates chunks and yields the frames of every complete line. */
export class LineReader {
  #rest = "";
  readonly #check: (line: unknown) => boolean;

  /** `check` says whether a parsed line is what this channel carries (by default a batch of frames). */
  constructor(check: (line: unknown) => boolean = isBatch) {
    this.#check = check;
  }

  /** Whether part of a line has arrived and waits for the rest. */
  get pending(): boolean {
    return this.#rest !== "";
  }

  /**
   * Feeds a chunk and returns the batches completed by it (each an array of frames), or null when
   * the chunk did not complete a line.
   * @throws MalformedFrame when a completed line is not a batch; the reader is useless after it.
   */
  push(chunk: string): unknown[][] | null {
    const end = lastNewline(chunk);
    if (end < 0) {
      this.#rest += chunk;
      return null;
    }
    let text = chunk.slice(0, end);
    if (this.#rest !== "") {
      text = this.#rest + text;
      this.#rest = "";
    }
    if (end < chunk.length - 1) this.#rest = chunk.slice(end + 1);
    // Only separators are replaced: a string value holding a newline is written as `\n` (escaped).
    let batches: unknown;
    try {
      // One line (the usual chunk, and every big one) needs no copy with its newlines replaced.
      batches = text.indexOf("\n") < 0 ? [JSON.parse(text)] : JSON.parse("[" + text.replaceAll("\n", ",") + "]");
    } catch {
      return lineByLine(text, this.#check);
    }
    if (!(batches as unknown[]).every(this.#check)) return lineByLine(text, this.#check);
    return batches as unknown[][];
  }
}

/**
 * Where the last `\n` of `chunk` is, or -1. `lastIndexOf` reads backwards a character at a time,
 * where `indexOf` searches far faster: a chunk in the middle of a long line (most of one carrying
 * large arguments) has no newline at all, and a chunk of whole lines ends with one.
 */
function lastNewline(chunk: string): number {
  const last = chunk.length - 1;
  if (chunk.charCodeAt(last) === 10) return last;
  return chunk.indexOf("\n") < 0 ? -1 : chunk.lastIndexOf("\n");
}

/** The slow path, once the chunk is known to be bad: which line, and what came intact before it. */
function lineByLine(text: string, check: (line: unknown) => boolean): never {
  const before: unknown[][] = [];
  for (const line of text.split("\n")) {
    let batch: unknown;
    try {
      batch = JSON.parse(line);
    } catch {
      throw new MalformedFrame(`not JSON: ${quote(line)}`, before);
    }
    if (!check(batch)) throw new MalformedFrame(`not a batch of frames: ${quote(line)}`, before);
    before.push(batch as unknown[]);
  }
  // Each line was fine alone; together they were not (cannot happen with real lines).
  throw new MalformedFrame(`unparsable chunk: ${quote(text)}`, before);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
