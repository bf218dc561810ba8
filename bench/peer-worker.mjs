// The worker file of the tinypool and piscina baselines: the same three functions as tasks.mjs,
// as named exports (both libraries pick one with `run(arg, { name })`), with no tasklane in between.
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

export default noop;
