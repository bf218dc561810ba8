// Profiles the parent during floods of tasks carrying a ~100 KB JSON argument
// (node --cpu-prof bench/profile-payload.mjs [process-pool|thread-pool]).
import { closeAll, configure } from "tasklane";
import { largeArg } from "../dist/bench/payload-data.js";
import { payload } from "./tasks.mjs";

const backend = process.argv[2] ?? "process-pool";
configure({ default: { backend, options: { maxWorkers: 2, maxResults: 1000 } } });
const arg = largeArg(100_000);
for (let round = 0; round < 5; round++) {
  const started = performance.now();
  const results = [];
  for (let i = 0; i < 500; i++) results.push(payload.enqueue(arg));
  await Promise.all((await Promise.all(results)).map((r) => r.wait()));
  console.log(`round ${round}: ${Math.round(500 / ((performance.now() - started) / 1000))} tasks/s`);
}
await closeAll();
