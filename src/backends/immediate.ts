import { randomBytes } from "node:crypto";
import { TASK_BRAND } from "../brand.ts";
import { recordEnqueued, recordFailed, recordProgress, recordStarted, recordSucceeded } from "../lifecycle.ts";
import { TaskResult } from "../result.ts";
import { ResultStore } from "../result-store.ts";
import { makeContext, runTask } from "../run-task.ts";
import type { AnyTask } from "../task.ts";
import { type BackendParams, BaseTaskBackend } from "./base.ts";
import { positiveInteger, readOptions } from "./options.ts";

/**
 * Runs each task inside `enqueue`, in this process, and resolves with the finished result
 * (SUCCESSFUL or FAILED, whatever the task threw). Unlike Django's, it keeps results for
 * `getResult`, bounded by `maxResults` (default 1000).
 */
export class ImmediateBackend extends BaseTaskBackend {
  override readonly supportsAsyncTask: boolean = true;
  override readonly supportsPriority: boolean = true;
  override readonly supportsGetResult: boolean = true;

  /** The worker id every attempt records: random per backend instance, as in Django. */
  readonly workerId: string = randomBytes(16).toString("hex");
  readonly #store: ResultStore;

  constructor(params: BackendParams) {
    super(params);
    const { maxResults } = readOptions(params.alias, "immediate", params.options, {
      maxResults: positiveInteger(1000),
    });
    this.#store = new ResultStore(maxResults);
  }

  override async enqueue(task: AnyTask, args: readonly unknown[]): Promise<TaskResult> {
    const state = this.newState(task, args);
    this.#store.add(state);
    recordEnqueued(state);

    recordStarted(state, this.workerId, Date.now());
    const context = task.takesContext
      ? makeContext(new TaskResult(state), state.workerIds.length, (p) => recordProgress(state, p))
      : null;
    const outcome = await runTask(task[TASK_BRAND], state.args, state.id, context);
    if (outcome.ok) recordSucceeded(state, outcome.value, Date.now());
    else recordFailed(state, outcome.error, Date.now());
    this.#store.finished(state);
    return new TaskResult(state);
  }

  override async getResult(id: string): Promise<TaskResult> {
    const state = this.#store.get(id);
    if (!state) throw this.doesNotExist(id);
    return new TaskResult(state);
  }
}
