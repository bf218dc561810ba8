/**
 * Calls `fn` with the signal's reason once `signal` aborts, and returns the function that stops
 * listening (piscina's `onabort` habit: the pair add/remove written once, so no caller forgets the
 * remove and no listener outlives what it was for). The caller checks `signal.aborted` first: an
 * already-aborted signal never fires again.
 */
export function onAbort(signal: AbortSignal, fn: (reason: unknown) => void): () => void {
  const listener = (): void => fn(signal.reason);
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}
