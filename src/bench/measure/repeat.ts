/**
 * Runs `once` `warmup` times without keeping the result (workers fork, modules load, the JIT warms
 * up), then `repeat` times, and returns the counted results in order.
 */
export async function repeatRuns<T>(warmup: number, repeat: number, once: (run: number) => Promise<T>): Promise<T[]> {
  for (let i = 0; i < warmup; i++) await once(-1 - i);
  const out: T[] = [];
  for (let i = 0; i < repeat; i++) out.push(await once(i));
  return out;
}

/** Wall time of `work` in milliseconds. */
export async function timeMs(work: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}
