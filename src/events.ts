import { activeLogger } from "./log.ts";
import type { TaskResult } from "./result.ts";
import { describeThrown } from "./task-error.ts";

/** The lifecycle events, named after Django's task signals. */
export interface TaskEventMap {
  /** After a result is stored as READY. */
  taskEnqueued: TaskResult;
  /** When a worker starts an attempt: status is RUNNING and its worker id is appended. */
  taskStarted: TaskResult;
  /** When a running task reports progress (`result.progress` holds it). */
  taskProgress: TaskResult;
  /** When the outcome (SUCCESSFUL or FAILED) is recorded. */
  taskFinished: TaskResult;
}

export type TaskEventName = keyof TaskEventMap;
export type TaskEventListener<E extends TaskEventName> = (result: TaskEventMap[E]) => void;

/**
 * A small typed emitter. A listener that throws (anything at all) is reported as a process warning
 * and does not stop the others, nor the backend that emitted (Django's `send_robust` behaviour).
 */
export class TaskEvents {
  readonly #listeners: { [E in TaskEventName]: TaskEventListener<E>[] } = {
    taskEnqueued: [],
    taskStarted: [],
    taskProgress: [],
    taskFinished: [],
  };

  /** Adds a listener; returns a function that removes it. */
  on<E extends TaskEventName>(event: E, listener: TaskEventListener<E>): () => void {
    this.#listenersOf(event).push(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with `on`. */
  off<E extends TaskEventName>(event: E, listener: TaskEventListener<E>): void {
    const list = this.#listenersOf(event);
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  /** Whether anyone listens, so emitters can skip building the result snapshot. */
  has(event: TaskEventName): boolean {
    return this.#listeners[event].length > 0;
  }

  /** @internal Called by backends. */
  emit<E extends TaskEventName>(event: E, result: TaskEventMap[E]): void {
    for (const listener of this.#listenersOf(event).slice()) {
      try {
        listener(result);
      } catch (error) {
        // Whatever was thrown (an object without a prototype, a Proxy whose traps throw), reporting
        // it must not throw in turn: that would skip later listeners and the waiters of the result.
        const message = `tasklane: a '${event}' listener threw: ${describeThrown(error)}`;
        try {
          // TaskLogger.error's contract includes listener errors; the warning reaches those without a logger.
          activeLogger()?.error(message);
        } catch {
          // A logger that throws is not allowed to stop the others either.
        }
        process.emitWarning(message, { code: "TASKLANE_LISTENER_ERROR" });
      }
    }
  }

  #listenersOf<E extends TaskEventName>(event: E): TaskEventListener<E>[] {
    return this.#listeners[event] as TaskEventListener<E>[];
  }
}

/** The process-wide event source: `taskEvents.on("taskFinished", (result) => …)`. */
export const taskEvents: TaskEvents = new TaskEvents();
