import type { BackendParams } from "./base.ts";
import { PoolBackend } from "./pool-backend.ts";

/**
 * Runs tasks in warm child processes that import each task by module path. A crashed child fails
 * only the task it was running and is replaced; CPU-heavy work never blocks the parent's event loop.
 *
 * Options: `maxWorkers` (default: available parallelism), `maxResults` (default 1000),
 * `queues: { [queueName]: { maxWorkers } }` for lanes with their own workers, `maxQueued` and
 * `maxResultBytes` (default: no limit); the README's options table lists them all.
 */
export class ProcessPoolBackend extends PoolBackend {
  constructor(params: BackendParams) {
    super(params, "process-pool", "process");
  }
}
