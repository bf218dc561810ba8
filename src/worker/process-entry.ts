/**
 * Entry of a child-process worker. The parent talks to it over fd 3 (a socket pair), which leaves
 * stdout and stderr to the tasks, and whose end-of-file tells the child that its parent is gone.
 */
import { Socket } from "node:net";
import { markPoolWorker } from "../in-worker.ts";
import { LineReader } from "../pool/framing.ts";
import { FATAL, type ParentFrame } from "../pool/protocol.ts";
import { WorkerLoop } from "./loop.ts";

markPoolWorker(`process ${process.pid}`);

const channel = new Socket({ fd: 3, readable: true, writable: true });
channel.setEncoding("utf8");

const loop = new WorkerLoop({
  workerId: String(process.pid),
  send(frames) {
    channel.write(JSON.stringify(frames) + "\n");
  },
  memoryBytes: () => process.memoryUsage.rss(),
  // Exit once the last frames are flushed: the parent reads everything before it handles the exit.
  exit: () => channel.end(() => process.exit(0)),
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
