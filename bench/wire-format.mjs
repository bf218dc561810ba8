// The payload formats the pool could send, timed in this process (node bench/wire-format.mjs):
// encoding (what the sender pays) and decoding (the receiver), for a small argument and for
// ~100 KB of JSON records. `json` is JSON text as the child's line carries it; `msgpack` is msgpackr
// with record structures and base64, as tasklane sends a large plain value; `clone` is the
// structured clone of a worker thread's postMessage (v8.serialize/deserialize). Median of 7 runs.
import v8 from "node:v8";
import { Packr, Unpackr } from "msgpackr";
import { largeArg, SMALL_ARG } from "../dist/bench/payload-data.js";

const packr = new Packr({ useRecords: true });
const unpackr = new Unpackr({ useRecords: true });
const formats = {
  json: [(v) => JSON.stringify(v), (t) => JSON.parse(t)],
  msgpack: [(v) => packr.pack(v).toString("base64"), (t) => unpackr.unpack(Buffer.from(t, "base64"))],
  clone: [(v) => v8.serialize(v), (b) => v8.deserialize(b)],
};

/** Microseconds per call: the median of 7 runs of `n` calls, after a warm-up run. */
function time(n, fn) {
  const runs = [];
  for (let r = 0; r < 8; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    runs.push(Number(process.hrtime.bigint() - started) / 1000 / n);
  }
  runs.shift();
  return runs.sort((a, b) => a - b)[3];
}

for (const [label, value, n] of [
  ["small argument", [SMALL_ARG], 100_000],
  ["~100 KB of records", [largeArg(100_000)], 300],
]) {
  console.log(`${label} (${JSON.stringify(value).length} bytes of JSON):`);
  for (const [name, [encode, decode]] of Object.entries(formats)) {
    const encoded = encode(value);
    const us = [time(n, () => encode(value)), time(n, () => decode(encoded))];
    console.log(
      `  ${name.padEnd(8)} encode ${us[0].toFixed(2).padStart(7)} µs  decode ${us[1].toFixed(2).padStart(7)} µs  ${encoded.length} bytes`,
    );
  }
}
