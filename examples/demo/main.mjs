// The `npm start` demo: offload CPU-heavy work to a process pool, watch progress stream back from
// the children, then compare with running the same work inline.
// Run: npm start   (or, after npm run build: node examples/demo/main.mjs [--bars|--plain])
import { availableParallelism } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { closeAll, configure, taskEvents } from "tasklane";
import { createDisplay } from "./display.mjs";
import { processImage } from "./image.mjs";
import { greet, renderReport } from "./tasks.mjs";

const REPORTS = 8;
const SIZE = 512;
const PASSES = 150;
const NAMES = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances"];
const GREETING_EVERY_MS = 150;

// Reports get a lane of their own with one worker: however long they take, greetings on the
// default lane have their own two workers and never wait behind a report.
configure({
  default: {
    backend: "process-pool",
    queues: ["default", "reports"],
    options: { maxWorkers: 2, queues: { reports: { maxWorkers: 1 } } },
  },
});

// `npm start | head` closes the pipe early: end quietly, as command-line tools do.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const mode = process.argv.includes("--plain")
  ? "plain"
  : process.argv.includes("--bars") || process.stdout.isTTY
    ? "bars"
    : "plain";
console.log(
  `tasklane demo: ${REPORTS} CPU-heavy reports (lane 'reports', 1 worker) and ${NAMES.length} quick greetings ` +
    `(lane 'default', 2 workers) on a process pool; ${availableParallelism()} cores here.\n`,
);

// Workers start on first use; start one per lane now so the timings below measure the work, as
// they would in a server whose pool is already warm.
const warmStart = performance.now();
await Promise.all([renderReport.enqueue(0, 8, 1), greet.enqueue("warm-up")].map(async (r) => (await r).wait()));
console.log(`Workers started in ${ms(performance.now() - warmStart)}.\n`);

const display = createDisplay(mode, [
  { name: "reports", total: REPORTS * PASSES },
  { name: "default", total: NAMES.length },
]);
const passesDone = new Map(); // result id -> passes its child has reported
let reportsDone = 0;
let greetingsDone = 0;
// Short statuses: a terminal line holds the lane name, the bar and this.
const reportStatus = (worker) =>
  `${reportsDone}/${REPORTS} done${reportsDone < REPORTS ? ` · running on pid ${worker}` : ""}`;

taskEvents.on("taskProgress", (result) => {
  if (result.task.queueName !== "reports") return;
  // A report counts in full only once it finished, so the bar reads 100% only when all have.
  passesDone.set(result.id, Math.min(result.progress.current, PASSES - 1));
  display.update("reports", sum(passesDone.values()), reportStatus(result.workerIds.at(-1)));
});
taskEvents.on("taskFinished", (result) => {
  if (result.task.queueName === "reports") {
    reportsDone++;
    passesDone.set(result.id, PASSES);
    display.update("reports", sum(passesDone.values()), reportStatus(result.workerIds.at(-1)));
  } else {
    greetingsDone++;
    const said = result.status === "SUCCESSFUL" ? result.returnValue : result.status;
    display.update("default", greetingsDone, `${greetingsDone}/${NAMES.length} done · last said "${said}"`);
  }
});

// Phase 1: the pool. The event loop here only enqueues and listens, so its delay stays small.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const poolStart = Date.now(); // wall clock, as the results' times are
const reports = await Promise.all(Array.from({ length: REPORTS }, (_, i) => renderReport.enqueue(i + 1, SIZE, PASSES)));
const greetings = await enqueueSpaced(NAMES, GREETING_EVERY_MS, (name) => greet.enqueue(name));
await Promise.all([...reports, ...greetings].map((r) => r.wait()));
const reportsMs = Math.max(...reports.map((r) => r.finishedAt.getTime())) - poolStart;
loopDelay.disable();
const poolLoopMaxMs = loopDelay.max / 1e6;
display.stop();

// Phase 2: the same reports inline, yielding between reports so the loop gets a turn at least then.
console.log(`\nNow the same ${REPORTS} reports inline, in this process...`);
loopDelay.reset();
loopDelay.enable();
const inlineStart = performance.now();
const inline = [];
for (let i = 0; i < REPORTS; i++) {
  inline.push(processImage(i + 1, SIZE, PASSES));
  await yieldToLoop();
}
const inlineMs = performance.now() - inlineStart;
loopDelay.disable();
const inlineLoopMaxMs = loopDelay.max / 1e6;

const all = [...reports, ...greetings];
const failed = all.filter((r) => r.status !== "SUCCESSFUL");
const same = reports.every(
  (r, i) => r.status === "SUCCESSFUL" && JSON.stringify(r.returnValue) === JSON.stringify(inline[i]),
);
const latencies = greetings.map((r) => r.finishedAt - r.enqueuedAt).sort((a, b) => a - b);
const pids = (results) => [...new Set(results.flatMap((r) => r.workerIds))].join(", ");

console.log("\nSummary");
console.log(`  Results:      ${all.length - failed.length} SUCCESSFUL, ${failed.length} FAILED`);
for (const r of failed) console.log(`    ${r.task.name} ${r.id}: ${r.errors.at(-1)?.message}`);
const first = reports[0]?.status === "SUCCESSFUL" ? reports[0].returnValue : null;
if (first)
  console.log(
    `  Report 1:     mean brightness ${first.mean}, contrast ${first.contrast} after ${first.passes} blur passes`,
  );
console.log(`  Same as inline: ${same ? "yes, every report" : "NO"}`);
console.log(`  Workers:      reports on pid ${pids(reports)}; greetings on pid ${pids(greetings)}`);
const lastReport = poolStart + reportsMs;
const during = greetings.filter((r) => r.finishedAt.getTime() <= lastReport).length;
console.log(
  `  Greetings:    answered in ${ms(latencies[0])}–${ms(latencies.at(-1))} (median ${ms(latencies[latencies.length >> 1])}), ` +
    `${during} of ${greetings.length} while reports were running`,
);
console.log(`  Process pool: ${ms(reportsMs)} for the reports, this event loop delayed at most ${ms(poolLoopMaxMs)}`);
console.log(
  `  Inline:       ${ms(inlineMs)} for the same reports, this event loop blocked up to ${ms(inlineLoopMaxMs)} at a time`,
);
console.log("  (One reports worker takes about as long as inline: the gain is that the work left this process.)");

await closeAll();
process.exitCode = failed.length === 0 && same ? 0 : 1;

/** Enqueues one item every `gapMs`, as requests arriving over time would. */
async function enqueueSpaced(items, gapMs, enqueue) {
  const results = [];
  for (const [i, item] of items.entries()) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    results.push(await enqueue(item));
  }
  return results;
}

function sum(values) {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function ms(value) {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}
