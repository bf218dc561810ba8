import { recordEnqueued } from "../lifecycle.ts";
import { type ResultState, TaskResult } from "../result.ts";
import type { AnyTask } from "../task.ts";
import { type BackendParams, BaseTaskBackend } from "./base.ts";
import { readOptions } from "./options.ts";

/**
 * Validates and stores READY results and never runs them: for tests that check what was enqueued.
 * `results` lists them in enqueue order; `clear()` empties it.
 */
export class DummyBackend extends BaseTaskBackend {
  override readonly supportsDefer: boolean = true;
  override readonly supportsAsyncTask: boolean = true;
  override readonly supportsGetResult: boolean = true;
  override readonly supportsPriority: boolean = true;

  /** Every result enqueued since the last `clear()`, oldest first. */
  readonly results: TaskResult[] = [];
  // The states behind `results`, so heldResults() can give fresh snapshots (a cancel changes them).
  readonly #states: ResultState[] = [];

  constructor(params: BackendParams) {
    super(params);
    readOptions(params.alias, "dummy", params.options, {});
  }

  override async enqueue(task: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    const state = this.newState(task, args);
    this.results.push(new TaskResult(state));
    this.#states.push(state);
    recordEnqueued(state);
    return new TaskResult(state);
  }

  override async getResult(id: string): Promise<TaskResult> {
    const found = this.results.find((r) => r.id === id);
    if (!found) throw this.doesNotExist(id);
    await found.refresh();
    return found;
  }

  /** Fresh snapshots of `results`, oldest first: for monitoring (the dashboard). */
  *heldResults(): IterableIterator<TaskResult> {
    for (const state of this.#states) yield new TaskResult(state);
  }

  /** Forgets every stored result. */
  clear(): void {
    this.results.length = 0;
    this.#states.length = 0;
  }
}
