// The CPU task the server offloads. A worker process imports this module by its URL.
import { task } from "tasklane";

/**
 * Counts the primes below `n` by trial division: deliberately plain CPU work, slow enough to hurt a
 * request path (n = 3,000,000 takes around a second). Reports progress about every 2%.
 */
export const countPrimes = task(import.meta, { takesContext: true }, function countPrimes(context, n) {
  const step = Math.max(1, Math.floor(n / 50));
  let count = 0;
  for (let k = 2; k < n; k++) {
    if (isPrime(k)) count++;
    if (k % step === 0) context.reportProgress({ current: k, total: n });
  }
  context.reportProgress({ current: n, total: n });
  return { n, primes: count };
});

function isPrime(k) {
  if (k < 4) return k > 1;
  if (k % 2 === 0) return false;
  for (let d = 3; d * d <= k; d += 2) if (k % d === 0) return false;
  return true;
}
