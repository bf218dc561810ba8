// Floods of 500 tasks carrying ~100 KB of JSON records, to profile the parent and the workers
// (node --cpu-prof bench/profile-payload.mjs [process-pool|thread-pool] [args|returns]). Each round
// says how long the synchronous enqueue loop took, and the rest until every result was finished,
// with how busy the parent's event loop was meanwhile. ROUNDS=n runs n rounds instead of 6.
import { closeAll, configure } from "tasklane";
import { largeArg } from "../dist/bench/payload-data.js";
import { payload, returns } from "./tasks.mjs";

const backend = process.argv[2] ?? "process-pool";
const returning = process.argv[3] === "returns";
configure({ default: { backend, options: { maxWorkers: 2, minWorkers: 2, maxResults: 1000 } } });
const arg = largeArg(100_000);
const tasks = 500;
for (let round = 0; round < (Number(process.env.ROUNDS) || 6); round++) {
  const t0 = performance.now();
  const started = [];
  for (let i = 0; i < tasks; i++) started.push(returning ? returns.enqueue(100_000) : payload.enqueue(arg));
  const t1 = performance.now();
  const results = await Promise.all(started);
  const elu0 = performance.eventLoopUtilization();
  await Promise.all(results.map((r) => r.wait()));
  const t2 = performance.now();
  const busy = performance.eventLoopUtilization(elu0).utilization;
  const rate = Math.round(tasks / ((t2 - t0) / 1000));
  console.log(
    `round ${round}: enqueue loop ${(t1 - t0).toFixed(0)} ms, then ${(t2 - t1).toFixed(0)} ms to the last result ` +
      `(parent busy ${Math.round(busy * 100)}%): ${rate} tasks/s`,
  );
}
await closeAll();
