import { randomFillSync } from "node:crypto";

// Why not crypto.randomUUID(): Node builds its string by concatenating 2-character pieces, so V8
// holds it as a tree of cons strings: several hundred bytes per id where a flat one takes 56, and a
// Map that meets one compares it through the runtime's slow string path. A pending task on the
// process pool kept 1,306 bytes of heap with randomUUID()'s ids and 887 with these (`node
// --expose-gc bench/profile-retained.mjs`), and the result store's share of a no-op flood's
// profile fell from 15% to 5% (`node --cpu-prof bench/profile-flood.mjs`). This builds the same
// random version-4 UUID as one flat string, no slower than randomUUID() itself (timed over a
// million of each).

/** How many ids' worth of random bytes are drawn at once (randomUUID() caches the same amount). */
const BATCH = 128;
const random = Buffer.alloc(16 * BATCH);
let drawn = BATCH;
const text = Buffer.from("00000000-0000-4000-8000-000000000000", "latin1");
/** Where each of the 16 bytes' two hex digits go in `text`. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34] as const;
const HEX = Buffer.from(
  Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0")).join(""),
  "latin1",
);

/** A new random (version 4) UUID, lower case, as a flat string: a result's id. */
export function newResultId(): string {
  if (drawn === BATCH) {
    randomFillSync(random);
    drawn = 0;
  }
  const base = 16 * drawn++;
  for (let i = 0; i < 16; i++) {
    let byte = random[base + i]!;
    if (i === 6)
      byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // variant 10xx (RFC 9562)
    const at = AT[i]!;
    text[at] = HEX[2 * byte]!;
    text[at + 1] = HEX[2 * byte + 1]!;
  }
  return text.toString("latin1", 0, 36);
}
