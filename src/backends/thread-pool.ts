import type { BackendParams } from "./base.ts";
import { PoolBackend } from "./pool-backend.ts";

/**
 * Runs tasks on worker threads that import each task by module path: cheaper to start and to talk
 * to than child processes, but a thread shares the process (a `process.exit()` in a task ends it).
 *
 * Options: as `process-pool` (`maxWorkers`, `maxResults`, `queues`).
 */
export class ThreadPoolBackend extends PoolBackend {
  constructor(params: BackendParams) {
    super(params, "thread-pool", "thread");
  }
}
