import type { PoolJob } from "../../src/pool/types.ts";

/** A job as a backend would hand it to the pool: no priority, delay, context or timeout unless `fields` say so. */
export function poolJob(key: number, fields: Partial<PoolJob> = {}): PoolJob {
  return {
    key,
    moduleUrl: "file:///x.mjs",
    exportName: "x",
    args: [],
    priority: 0,
    lane: "default",
    runAfter: null,
    resultId: `r${key}`,
    attempt: 1,
    contextMeta: null,
    timeoutMs: null,
    ...fields,
  };
}
