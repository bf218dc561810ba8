/**
 * Entry of a child-process worker. The parent talks to it over two socket pairs on fds well away
 * from 3 (see protocol.ts): the data channel, read by this (main) thread, which leaves stdout and
 * stderr to the tasks and whose end-of-file tells an idle child that its parent is gone; and the
 * control channel, served by a control thread that answers recalls and watches for the parent's
 * death even while a synchronous task holds this thread (see control-thread.ts).
 */
import { Socket } from "node:net";
import { Worker } from "node:worker_threads";
import { markPoolWorker } from "../in-worker.ts";
import { ClaimWords, claimBuffer } from "../wire/claims.ts";
import { encodeLine, LineReader } from "../wire/framing.ts";
import { CONTROL_FD, DATA_FD, FATAL, type ParentFrame } from "../wire/protocol.ts";
import { CONTROL_THREAD_SOURCE } from "./control-thread.ts";
import { handleFaults } from "./faults.ts";
import { WorkerLoop } from "./loop.ts";
import { flushStdio, guardStdio } from "./stdio.ts";

markPoolWorker(`process ${process.pid}`);

const channel = new Socket({ fd: DATA_FD, readable: true, writable: true });
channel.setEncoding("utf8");

/** The channel was ended from here: its end-of-file is our own exit, not the parent's death. */
let ended = false;
const send = (frames: unknown[]): void => {
  channel.write(encodeLine(frames));
};

const claims = claimBuffer();
const control = new Worker(CONTROL_THREAD_SOURCE, {
  eval: true,
  execArgv: [],
  workerData: { fd: CONTROL_FD, claims },
});
control.unref();
// Without it, nothing could take back a buffered job or notice a dead parent: not a worker to keep.
let lost = false;
const controlLost = (why: string): void => {
  if (lost) return;
  lost = true;
  send([[FATAL, `the control thread ${why}`]]);
  ended = true;
  channel.end(() => process.exit(70));
};
control.on("error", (error) => controlLost(`failed: ${error.message}`));
control.on("exit", (code) => controlLost(`exited with code ${code}`));

const loop = new WorkerLoop({
  workerId: String(process.pid),
  send,
  memoryBytes: () => process.memoryUsage.rss(),
  // Exit once what the tasks wrote to stdout/stderr and the last frames are flushed: the parent
  // reads everything before it handles the exit.
  exit() {
    void flushStdio().then(() => {
      ended = true;
      channel.end(() => process.exit(0));
    });
  },
  claims: new ClaimWords(claims),
});
guardStdio(String(process.pid), send);
handleFaults(String(process.pid), loop.history, send);

const reader = new LineReader();
channel.on("data", (chunk: string) => {
  const batches = reader.push(chunk);
  if (batches === null) return;
  for (const batch of batches) loop.receive(batch as ParentFrame[]);
  loop.pump();
});

// The parent died or closed the channel: nobody can receive results any more. This process leads
// its own process group (see runtime/process.ts): what its tasks started goes with it. (A busy
// child learns it from its control thread instead, which does the same.)
const orphaned = (): void => {
  if (ended) return;
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    // Not a group leader after all (started by hand): only this process goes.
  }
  process.exit(0);
};
channel.on("end", orphaned);
channel.on("close", orphaned);
channel.on("error", orphaned);

// A polite stop (the pool's close(), a supervisor): finish and report the current job, start no
// other, and exit. The parent hands the jobs still buffered here to another worker. A synchronous
// run of buffered jobs is not interrupted: the handler runs when the thread is next free.
process.on("SIGTERM", () => loop.stop());

loop.ready();
