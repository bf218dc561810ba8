/** Entry of a worker-thread worker: the same loop as a child process, over the thread's port. */
import { parentPort, threadId } from "node:worker_threads";
import type { ParentFrame } from "../pool/protocol.ts";
import { WorkerLoop } from "./loop.ts";

const port = parentPort;
if (port === null) throw new Error("tasklane's thread entry must run in a worker thread");

const loop = new WorkerLoop({
  workerId: `thread-${threadId}`,
  send(frames) {
    port.postMessage(frames);
  },
});

port.on("message", (frames: ParentFrame[]) => {
  loop.receive(frames);
  loop.pump();
});

loop.ready();
