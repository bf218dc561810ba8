// The benchmark's tasks, as an ordinary tasklane task module: `tasklane` here is the package's
// self-reference, so it resolves to this repository's dist/ (run `npm run build` first). Parent,
// worker threads and child processes all import this same file by URL.
import { task } from "tasklane";
import { largeArg } from "../dist/bench/payload-data.js";
import { fib } from "./fib.mjs";

/** Does nothing: what is left is tasklane's own cost per task. */
export const noop = task(import.meta, function noop() {
  return null;
});

/** About 7 ms of pure CPU for the n the harness calibrates. */
export const cpu = task(import.meta, function cpu(n) {
  return fib(n);
});

/** Takes one JSON argument (small or ~100 KB) and returns a small value, so the cost is the argument's trip. */
export const payload = task(import.meta, function payload(data) {
  return Array.isArray(data) ? data.length : 1;
});

const made = new Map();

/** Takes a size and returns about that many bytes of JSON (made once per worker), so the cost is the value's trip back. */
export const returns = task(import.meta, function returns(bytes) {
  if (!made.has(bytes)) made.set(bytes, largeArg(bytes));
  return made.get(bytes);
});
