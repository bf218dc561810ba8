// The JSON check of an enqueue (checkJson, src/json.ts) on ~100 KB of records, by its fast path and
// by the walk it falls back to (node bench/json-check.mjs after npm run build). The walk is forced
// the way checkJson itself chooses it: an enumerable key on Object.prototype sends every value there.

import { largeArg } from "../dist/bench/payload-data.js";
import { checkJson } from "../dist/json.js";

const args = [largeArg(100_000)];
const rounds = 400;

function perCall() {
  for (let i = 0; i < 100; i++) checkJson(args, "args");
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) checkJson(args, "args");
  return ((performance.now() - t0) / rounds) * 1000;
}

function forcingTheWalk(fn) {
  Object.defineProperty(Object.prototype, "__force_walk__", { value: 1, enumerable: true, configurable: true });
  try {
    return fn();
  } finally {
    delete Object.prototype.__force_walk__;
  }
}

const facts = { ...checkJson(args, "args") };
console.log(`value: ${facts.values} values, depth ${facts.depth}, JSON bound ${facts.bound} bytes`);
for (let round = 0; round < 3; round++) {
  const fast = perCall();
  const walk = forcingTheWalk(perCall);
  console.log(`round ${round}: fast path ${fast.toFixed(1)} µs, walk ${walk.toFixed(1)} µs per check`);
}
