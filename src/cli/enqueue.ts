import type { TasksConfig } from "../config.ts";
import type { JsonValue } from "../json.ts";
import type { TaskResult } from "../result.ts";
import { type AnyTask, enqueueTask, type UsingOptions } from "../task.ts";
import { CliError, EXIT_FAILED, tasklaneCode } from "./errors.ts";

/** What the command line may change about a task before enqueueing it. */
export interface TaskOverrides {
  readonly backend?: string | undefined;
  readonly queue?: string | undefined;
  readonly priority?: number | undefined;
}

/** Where the backend aliases come from, for messages. */
export interface AliasSource {
  readonly config: TasksConfig;
  /** The config file, or null when the library's default configuration applies. */
  readonly file: string | null;
}

/** `--timeout` expired before the task finished: exit 1, and backends are closed without waiting. */
export class GaveUpWaiting extends CliError {
  constructor(message: string) {
    super(message, EXIT_FAILED);
  }
}

/**
 * Applies the command-line overrides with `task.using()`, after checking the backend alias exists.
 * @throws CliError (exit 2) for an unknown alias or options the task or backend refuses.
 */
export function bindTask(task: AnyTask, overrides: TaskOverrides, aliases: AliasSource): AnyTask {
  const alias = overrides.backend ?? task.backend;
  if (!Object.hasOwn(aliases.config, alias)) {
    const from = aliases.file === null ? "the default configuration (no config file found)" : aliases.file;
    const whose = overrides.backend === undefined ? ` (the backend of ${task.modulePath})` : "";
    throw new CliError(
      `Unknown backend alias '${alias}'${whose}: ${from} configures ${Object.keys(aliases.config).join(", ") || "none"}.`,
    );
  }
  const changes: UsingOptions = {};
  if (overrides.backend !== undefined) changes.backend = overrides.backend;
  if (overrides.queue !== undefined) changes.queueName = overrides.queue;
  if (overrides.priority !== undefined) changes.priority = overrides.priority;
  if (Object.keys(changes).length === 0) return task;
  try {
    return task.using(changes);
  } catch (error) {
    throw refusal(task, error, aliases);
  }
}

/**
 * Enqueues `task` and waits for it to finish, giving up after `timeoutMs` when given.
 * @throws CliError (exit 2) when the arguments or the task are refused; GaveUpWaiting on timeout.
 */
export async function enqueueAndWait(
  task: AnyTask,
  args: readonly JsonValue[],
  timeoutMs: number | undefined,
  aliases: AliasSource,
): Promise<TaskResult> {
  const controller = new AbortController();
  const timedOut = new Error("timed out");
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(timedOut), timeoutMs);
  let result: TaskResult | undefined;
  try {
    // Some backends (immediate) run the task inside enqueue, so the deadline covers enqueue too;
    // and a custom backend's waitForState may ignore the signal, so the wait is raced as well.
    result = await untilAborted(enqueue(task, args, aliases), controller.signal);
    return await untilAborted(result.wait({ signal: controller.signal }), controller.signal);
  } catch (error) {
    if (error !== timedOut) throw error;
    const which = result === undefined ? "" : ` (result ${result.id})`;
    throw new GaveUpWaiting(`Gave up waiting after ${timeoutMs} ms: task ${task.modulePath}${which} is still running.`);
  } finally {
    clearTimeout(timer);
  }
}

async function enqueue(task: AnyTask, args: readonly JsonValue[], aliases: AliasSource): Promise<TaskResult> {
  try {
    return await enqueueTask(task, args);
  } catch (error) {
    throw refusal(task, error, aliases);
  }
}

/** Turns what enqueue or using() refused into exit 2; anything else is not the user's input. */
function refusal(task: AnyTask, error: unknown, aliases: AliasSource): unknown {
  const code = tasklaneCode(error);
  if (!(error instanceof TypeError) && code !== "TASKLANE_INVALID_TASK" && code !== "TASKLANE_INVALID_BACKEND") {
    return error;
  }
  const hint = code === "TASKLANE_INVALID_BACKEND" && aliases.file !== null ? ` (configured in ${aliases.file})` : "";
  return new CliError(`Cannot enqueue ${task.modulePath}: ${(error as Error).message}${hint}`, undefined, {
    cause: error,
  });
}

/** Settles like `promise`, or rejects with the signal's reason once it aborts, whichever is first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // An enqueue abandoned by the deadline may still reject later; that must not crash the process.
  promise.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
