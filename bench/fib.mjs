// The CPU-bound work of the benchmark: deliberately naive recursion, pure CPU, no allocation.
// One copy, imported by the tasklane task module, the tinypool/piscina worker and the inline run,
// so every contender runs exactly the same code.

/** The n-th Fibonacci number, the slow way (about φ^n calls). */
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
