import type { TaskResultStatus } from "../result.ts";
import type { DashboardCounts } from "./source.ts";

/** Adds up `(queue, status, count)` entries into counts per queue (sorted by name) and in all. */
export function tallyCounts(
  entries: Iterable<{ readonly queue: string; readonly status: TaskResultStatus; readonly count: number }>,
): DashboardCounts {
  const total = zeroCounts();
  const byQueue = new Map<string, Record<TaskResultStatus, number>>();
  for (const { queue, status, count } of entries) {
    let counts = byQueue.get(queue);
    if (counts === undefined) {
      counts = zeroCounts();
      byQueue.set(queue, counts);
    }
    counts[status] += count;
    total[status] += count;
  }
  const queues = [...byQueue].sort(([a], [b]) => a.localeCompare(b)).map(([queue, counts]) => ({ queue, counts }));
  return { queues, total };
}

function zeroCounts(): Record<TaskResultStatus, number> {
  return { READY: 0, RUNNING: 0, SUCCESSFUL: 0, FAILED: 0 };
}
