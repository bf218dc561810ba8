import { randomUUID } from "node:crypto";
import type { NewTaskRow } from "../../../src/db/store.ts";

/** A READY row with defaults; override what the test is about. */
export function newRow(overrides: Partial<NewTaskRow> = {}): NewTaskRow {
  return {
    id: randomUUID(),
    taskPath: "file:///app/tasks.js#work",
    queueName: "default",
    backendName: "default",
    priority: 0,
    args: [],
    runAfter: null,
    maxAttempts: 1,
    backoffMs: null,
    timeoutMs: null,
    ...overrides,
  };
}

export const claimAll = (workerId: string, limit = 100) =>
  ({ workerId, queues: "*", excludeQueues: [], limit, leaseMs: 30_000 }) as const;
