/** Entry of a worker-thread worker: the same loop as a child process, over the thread's port. */
import { parentPort, threadId, workerData } from "node:worker_threads";
import { markPoolWorker } from "../in-worker.ts";
import { ClaimWords } from "../wire/claims.ts";
import { textPayloads } from "../wire/payload.ts";
import type { ParentFrame } from "../wire/protocol.ts";
import { handleFaults } from "./faults.ts";
import { WorkerLoop } from "./loop.ts";

const port = parentPort;
if (port === null) throw new Error("tasklane's thread entry must run in a worker thread");
markPoolWorker(`thread ${threadId}`);

const loop = new WorkerLoop({
  workerId: `thread-${threadId}`,
  send(frames) {
    textPayloads(frames);
    port.postMessage(frames);
  },
  // A thread shares the process's RSS; its own V8 heap is the figure that belongs to it.
  memoryBytes: () => process.memoryUsage().heapUsed,
  // Messages posted before process.exit() still reach the parent before its "exit" event.
  exit: () => process.exit(0),
  // The pool shares these words with the thread and takes buffered jobs back by itself.
  claims: new ClaimWords((workerData as { claims: SharedArrayBuffer }).claims),
});

handleFaults(`thread-${threadId}`, loop.history, (frames) => port.postMessage(frames));

port.on("message", (frames: ParentFrame[]) => {
  loop.receive(frames);
  loop.pump();
});

loop.ready();
