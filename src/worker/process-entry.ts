/**
 * Entry of a child-process worker. The parent talks to it over fd 3 (a socket pair), which leaves
 * stdout and stderr to the tasks, and whose end-of-file tells the child that its parent is gone.
 */
import { Socket } from "node:net";
import { LineReader } from "../pool/framing.ts";
import type { ParentFrame } from "../pool/protocol.ts";
import { handleFaults } from "./faults.ts";
import { WorkerLoop } from "./loop.ts";
import { flushStdio, guardStdio } from "./stdio.ts";

const channel = new Socket({ fd: 3, readable: true, writable: true });
channel.setEncoding("utf8");

/** The channel was ended from here: its end-of-file is our own exit, not the parent's death. */
let ended = false;
const send = (frames: unknown[]): void => {
  channel.write(JSON.stringify(frames) + "\n");
};
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
// its own process group (see runtime/process.ts): what its tasks started goes with it.
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
