// What a pending task costs the parent's heap (node --expose-gc bench/profile-retained.mjs): the
// bytes a flood of enqueued no-op tasks keeps alive, measured after a full GC, per task, first with
// only their enqueue() promises held, then with a wait() pending on each as well. In a flood every
// such byte is live at once: the collector copies it out of the young generation, then marks it.
import { closeAll, configure } from "tasklane";
import { noop } from "./tasks.mjs";

if (typeof gc !== "function") throw new Error("run with node --expose-gc");
configure({ default: { backend: "process-pool", options: { maxWorkers: 2, maxResults: 1000 } } });
const N = 50_000;
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
// Round 0 also loads the task module and warms the pool; rounds 1 and 2 are the ones to read.
for (let round = 0; round < 3; round++) {
  const h0 = heap();
  const enqueued = [];
  for (let i = 0; i < N; i++) enqueued.push(noop.enqueue(null));
  const h1 = heap();
  // Before a child answers: resolving these takes microtasks only, no I/O.
  const results = await Promise.all(enqueued);
  const h2 = heap();
  const waits = results.map((r) => r.wait());
  const h3 = heap();
  await Promise.all(waits);
  const perTask = (bytes) => `${Math.round(bytes / N)} B`;
  console.log(
    `round ${round}: per pending task ${perTask(h1 - h0)} after enqueue(), ${perTask(h3 - h2)} more for its wait()`,
  );
}
await closeAll();
