import type { TaskEntry } from "./modules.ts";

/** How many finished jobs a worker remembers by result id, to name the task a late fault came from. */
const REMEMBERED = 16;

/**
 * The job running in this worker and the last few it finished. A fault that surfaces between jobs
 * or during an innocent one (a rejection nobody handled, a timer that throws) carries the result id
 * of the task whose code scheduled it (tasks run inside an AsyncLocalStorage scope that callbacks
 * inherit), and this turns that id back into a task name.
 */
export class JobHistory {
  #runningId: string | null = null;
  #runningEntry: TaskEntry | null = null;
  readonly #ids: (string | undefined)[] = new Array<string | undefined>(REMEMBERED);
  readonly #entries: (TaskEntry | undefined)[] = new Array<TaskEntry | undefined>(REMEMBERED);
  /** Index of the next slot of the ring; the last finished job is one before it. */
  #next = 0;
  #finished = 0;

  /** A job's task function is about to be called. */
  started(resultId: string, entry: TaskEntry): void {
    this.#runningId = resultId;
    this.#runningEntry = entry;
  }

  /** The running job settled. */
  finished(): void {
    const id = this.#runningId;
    if (id === null) return;
    this.#ids[this.#next] = id;
    this.#entries[this.#next] = this.#runningEntry!;
    this.#next = (this.#next + 1) % REMEMBERED;
    this.#finished++;
    this.#runningId = null;
    this.#runningEntry = null;
  }

  /**
   * Where a fault came from, as a phrase ("from …#task (result r-1)", "…, which had already
   * finished"); `origin` is the result id of the task scope it surfaced in, if any. `own` says it
   * came from the running job's own code.
   */
  blame(origin: string | undefined): { own: boolean; text: string } {
    const runningId = this.#runningId;
    if (origin !== undefined) {
      if (origin === runningId) return { own: true, text: `from ${name(this.#runningEntry!, origin)}` };
      const entry = this.#find(origin);
      const what = entry === undefined ? `result ${origin}` : name(entry, origin);
      return { own: false, text: `from ${what}, which had already finished` };
    }
    if (runningId !== null) {
      return { own: false, text: `outside the code of ${name(this.#runningEntry!, runningId)}, which was running` };
    }
    if (this.#finished === 0) return { own: false, text: "before any task ran" };
    const last = (this.#next + REMEMBERED - 1) % REMEMBERED;
    return { own: false, text: `after ${name(this.#entries[last]!, this.#ids[last]!)} had finished` };
  }

  #find(resultId: string): TaskEntry | undefined {
    for (let i = 0; i < REMEMBERED; i++) if (this.#ids[i] === resultId) return this.#entries[i];
    return undefined;
  }
}

function name(entry: TaskEntry, resultId: string): string {
  return `${entry.url}#${entry.exportName} (result ${resultId})`;
}
