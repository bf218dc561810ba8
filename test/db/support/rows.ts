import { randomUUID } from "node:crypto";
import type { Claim, ClaimRequest, NewTaskRow, TaskStore } from "../../../src/db/store.ts";
import type { TaskError } from "../../../src/task-error.ts";

/** A READY row to enqueue, with the fields a test does not care about filled in. */
export function newRow(fields: Partial<NewTaskRow> = {}): NewTaskRow {
  return {
    id: randomUUID(),
    taskPath: "file:///app/tasks.js#noop",
    queueName: "default",
    backendName: "default",
    priority: 0,
    args: [],
    runAfter: null,
    maxAttempts: 1,
    backoffMs: null,
    timeoutMs: null,
    ...fields,
  };
}

/** A claim request for every queue with a long lease. */
export function claimRequest(fields: Partial<ClaimRequest> = {}): ClaimRequest {
  return { workerId: "worker-1", queues: "*", excludeQueues: [], limit: 10, leaseMs: 60_000, ...fields };
}

export function taskError(message: string, exceptionClassPath = "Error"): TaskError {
  return { exceptionClassPath, message, traceback: `${exceptionClassPath}: ${message}\n    at test` };
}

/** Enqueues each row, in order. */
export async function enqueueAll(store: TaskStore, rows: readonly NewTaskRow[]): Promise<void> {
  for (const row of rows) await store.enqueue(row);
}

/** Claims one row (there must be one) and returns its claim. */
export async function claimOne(store: TaskStore, fields: Partial<ClaimRequest> = {}): Promise<Claim> {
  const claims = await store.claim(claimRequest({ limit: 1, ...fields }));
  if (claims.length !== 1) throw new Error(`expected one claim, got ${claims.length}`);
  return claims[0]!;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
