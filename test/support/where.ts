import { describe, it } from "vitest";

/**
 * `it` where a behaviour applies, nothing elsewhere. A suite run per runtime or backend defines a
 * test only for those it is about (a worker thread has no child process to print from; rows in a
 * file keep no in-memory retention bound), so nothing shows as skipped: nothing is missing.
 */
export function itWhere(applies: boolean): typeof it {
  return applies ? it : ((() => {}) as unknown as typeof it);
}

/**
 * `describe` where a whole suite applies, nothing elsewhere: the PostgreSQL suites exist only
 * where the run has a server (under CI=true a missing one fails the run in the global setup, and
 * locally its absence is printed once, see postgres.ts).
 */
export function describeWhere(applies: boolean): typeof describe {
  return applies ? describe : ((() => {}) as unknown as typeof describe);
}
