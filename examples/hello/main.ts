// Define, enqueue, wait, read returnValue: the same code on three backends.
// Run: node --import tsx examples/hello/main.ts [immediate|thread-pool|process-pool]   (after npm run build)
import { closeAll, configure } from "tasklane";
import { add } from "./tasks.ts";

const backends = ["immediate", "thread-pool", "process-pool"];
const backend = process.argv[2] ?? "process-pool";
if (!backends.includes(backend)) {
  console.error(`usage: node --import tsx examples/hello/main.ts [${backends.join("|")}]`);
  process.exit(2);
}

// The one line that changes where tasks run; the task and the code below stay the same.
configure({ default: { backend } });

const result = await add.enqueue(2, 3); // immediate runs it here; the pools return at once, READY
console.log(`enqueued ${result.id} on ${backend}: ${result.status}`);
await result.wait({ timeoutMs: 10_000 });
const { sum, pid, threadId } = result.returnValue;
console.log(`finished: ${result.status}, returnValue.sum = ${sum}`);
const where =
  pid !== process.pid ? `child process ${pid}` : threadId !== 0 ? `worker thread ${threadId}` : "this thread";
console.log(`ran in ${where} (worker id ${result.workerIds.at(-1)})`);

// Not required for the pools (an idle pool lets Node exit) but it ends the workers now, tidily.
await closeAll();
