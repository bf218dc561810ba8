/**
 * A frame's payload already encoded (see payload.ts): `text` is JSON, or base64 of msgpack when
 * `packed`. In a file of its own so that protocol.ts can name it without an import cycle.
 */
export class Payload {
  readonly text: string;
  readonly packed: boolean;
  /** An upper bound of the value's UTF-8 JSON length (the payload limits are in bytes of JSON). */
  readonly jsonBound: number;

  constructor(text: string, packed: boolean, jsonBound: number) {
    this.text = text;
    this.packed = packed;
    this.jsonBound = jsonBound;
  }
}
