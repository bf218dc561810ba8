/**
 * A value already serialised as JSON, travelling in a frame in place of the value: a job's arguments
 * (encoded once, at enqueue) and a task's return value (encoded once, in the worker). A child
 * process's line carries the text as it is, spliced into the batch (`encodeBatch`); a worker thread
 * receives it as a string and parses it (see `payload.ts`). Either way nobody serialises it again.
 */
export class JsonText {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}
