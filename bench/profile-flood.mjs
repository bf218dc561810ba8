// Profiles the parent during a flood of no-op tasks (node --cpu-prof bench/profile-flood.mjs).
import { closeAll, configure } from "tasklane";
import { noop } from "./tasks.mjs";

configure({ default: { backend: "process-pool", options: { maxWorkers: 2, maxResults: 1000 } } });
for (let round = 0; round < 5; round++) {
  const started = performance.now();
  const results = [];
  for (let i = 0; i < 50_000; i++) results.push(noop.enqueue(null));
  await Promise.all((await Promise.all(results)).map((r) => r.wait()));
  console.log(`round ${round}: ${Math.round(50_000 / ((performance.now() - started) / 1000))} tasks/s`);
}
await closeAll();
