// The worker file of the tinypool and piscina baselines: the same four functions as tasks.mjs,
// as named exports (both libraries pick one with `run(arg, { name })`), with no tasklane in between.
import { largeArg } from "../dist/bench/payload-data.js";
import { fib } from "./fib.mjs";

export function noop() {
  return null;
}

export function cpu(n) {
  return fib(n);
}

export function payload(data) {
  return Array.isArray(data) ? data.length : 1;
}

const made = new Map();

export function returns(bytes) {
  if (!made.has(bytes)) made.set(bytes, largeArg(bytes));
  return made.get(bytes);
}

export default noop;
