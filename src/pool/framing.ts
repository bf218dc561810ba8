/**
 * Line framing for byte streams (the child process pipe). Each write is one JSON array of frames
 * followed by `\n`; JSON never contains a raw newline, so `\n` is an unambiguous separator.
 *
 * The reader turns everything complete in a chunk into frames with a single `JSON.parse`: the
 * lines `[a,b]\n[c]\n` become the text `[[a,b],[c]]`. A busy reader therefore pays one parse per
 * chunk, however many batches the chunk holds.
 */

/** Encodes one batch of frames as a line. */
export function encodeBatch(frames: readonly unknown[]): string {
  return JSON.stringify(frames) + "\n";
}

/** Accumulates chunks and yields the frames of every complete line. */
export class LineReader {
  #rest = "";

  /**
   * Feeds a chunk and returns the batches completed by it (each an array of frames), or null when
   * the chunk did not complete a line.
   */
  push(chunk: string): unknown[][] | null {
    const end = chunk.lastIndexOf("\n");
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
    return JSON.parse("[" + text.replaceAll("\n", ",") + "]") as unknown[][];
  }
}
