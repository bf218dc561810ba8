/**
 * Entry of a child-process worker. The parent talks to it over two socket pairs on fds well away
 * from 3 (see protocol.ts): the data channel, read by this (main) thread, which leaves stdout and
 * stderr to the tasks and whose end-of-file tells an idle child that its parent is gone; and the
 * control channel, served by a control thread that answers recalls and watches for the parent's
 * death even while a synchronous task holds this thread (see control-thread.ts).
 */
import { Socket } from "node:net";
import { Worker } from "node:worker_threads";
import { ClaimWords, claimBuffer } from "../pool/claims.ts";
import { LineReader } from "../pool/framing.ts";
import { CONTROL_FD, DATA_FD, FATAL, type ParentFrame } from "../pool/protocol.ts";
import { CONTROL_THREAD_SOURCE } from "./control-thread.ts";
import { WorkerLoop } from "./loop.ts";

const channel = new Socket({ fd: DATA_FD, readable: true, writable: true });
channel.setEncoding("utf8");

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
  channel.write(JSON.stringify([[FATAL, `the control thread ${why}`]]) + "\n");
  channel.end(() => process.exit(70));
};
control.on("error", (error) => controlLost(`failed: ${error.message}`));
control.on("exit", (code) => controlLost(`exited with code ${code}`));

const loop = new WorkerLoop({
  workerId: String(process.pid),
  send(frames) {
    channel.write(JSON.stringify(frames) + "\n");
  },
  memoryBytes: () => process.memoryUsage.rss(),
  // Exit once the last frames are flushed: the parent reads everything before it handles the exit.
  exit: () => channel.end(() => process.exit(0)),
  claims: new ClaimWords(claims),
});

const reader = new LineReader();
channel.on("data", (chunk: string) => {
  const batches = reader.push(chunk);
  if (batches === null) return;
  for (const batch of batches) loop.receive(batch as ParentFrame[]);
  loop.pump();
});

// The parent died or closed the channel: nobody can receive results any more.
const orphaned = (): never => process.exit(0);
channel.on("end", orphaned);
channel.on("close", orphaned);
channel.on("error", orphaned);

// Node prints the error and exits with code 1 after this; the frame lets the parent name the cause
// in the WorkerCrashed error of the job that was running. Socket writes to a pipe are attempted
// synchronously, so it normally leaves before the process does.
process.on("uncaughtExceptionMonitor", (error: unknown) => {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  channel.write(JSON.stringify([[FATAL, `uncaught ${text}`]]) + "\n");
});

// A polite stop (the pool's close(), a supervisor): finish and report the current job, start no
// other, and exit. The parent hands the jobs still buffered here to another worker. A synchronous
// run of buffered jobs is not interrupted: the handler runs when the thread is next free.
process.on("SIGTERM", () => loop.stop());

loop.ready();
