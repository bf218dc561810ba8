/**
 * A frame's payload already encoded (see payload.ts): `text` is JSON, or base64 of msgpack when
 * `packed`. In a file of its own so that protocol.ts can name it without an import cycle.
 */
export class Payload {
  readonly packed: boolean;
  /** An upper bound of the value's UTF-8 JSON length (the payload limits are in bytes of JSON). */
  readonly jsonBound: number;
  readonly #text: string | null;
  readonly #bytes: Buffer | null;

  /**
   * @param encoded - JSON text; base64 of msgpack when `packed`; or, packed, the msgpack bytes
   *   themselves. The encoder keeps a large value's bytes: a pending task keeps its arguments until
   *   its result is evicted, and as a string of ~60 KB each was copied by every young collection it
   *   survived, where a buffer's bytes live outside the collected heap. Their base64 text is made
   *   for each send instead. With this and long lines sent as bytes (framing.ts), the parent's young
   *   collections fell from about 55 to 22 ms per flood of 500 such tasks (summed from
   *   `ROUNDS=10 node --trace-gc bench/profile-payload.mjs`).
   */
  constructor(encoded: string | Buffer, packed: boolean, jsonBound: number) {
    this.#text = typeof encoded === "string" ? encoded : null;
    this.#bytes = typeof encoded === "string" ? null : encoded;
    this.packed = packed;
    this.jsonBound = jsonBound;
  }

  /** JSON text, or base64 when packed (made anew from the bytes each time it is read, if it holds them). */
  get text(): string {
    return this.#bytes === null ? this.#text! : this.#bytes.toString("base64");
  }

  /** The msgpack bytes, when it holds them rather than their text. */
  get bytes(): Buffer | null {
    return this.#bytes;
  }

  /** The length of `text`, without making it. */
  get textLength(): number {
    return this.#bytes === null ? this.#text!.length : Math.ceil(this.#bytes.length / 3) * 4;
  }
}
