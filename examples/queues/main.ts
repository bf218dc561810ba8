// Per-queue pool sizes: with 'emails' on 2 workers of its own and 'reports' on 1, a slow report
// never delays an email. The same traffic is then run on one shared lane for contrast, where
// emails wait behind reports.
// Run: node --import tsx examples/queues/main.ts   (after npm run build)
import { closeAll, configure, type TaskResult } from "tasklane";
import { buildReport, sendEmail } from "./tasks.ts";

const REPORT_MS = 800;
const EMAILS = 5;
const EMAIL_EVERY_MS = 300;

type PoolOptions = { maxWorkers: number; queues?: Record<string, { maxWorkers: number }> };

const lanes = await run("Lanes per queue: emails 2 workers, reports 1", {
  maxWorkers: 1, // the shared lane, which no queue uses here
  queues: { emails: { maxWorkers: 2 }, reports: { maxWorkers: 1 } },
});
const shared = await run("For contrast, one shared lane of 2 workers for both queues", { maxWorkers: 2 });

console.log(`\nLongest wait of an email: ${lanes} ms with lanes per queue, ${shared} ms on one shared lane.`);

/** Sends the same traffic through a pool with these options; returns the longest email wait (ms). */
async function run(title: string, options: PoolOptions): Promise<number> {
  configure({ default: { backend: "process-pool", queues: ["emails", "reports"], options } });
  // Workers start on first use; warm them so the timings are about queueing alone.
  await Promise.all([
    ...Array.from({ length: 2 }, async () => (await sendEmail.enqueue("warm@example.com", "warm-up")).wait()),
    (await buildReport.enqueue("warm-up", 0)).wait(),
  ]);

  const t0 = Date.now();
  // Three slow reports at once: they hold the reports workers for a while.
  const reports = await Promise.all(["2026-01", "2026-02", "2026-03"].map((m) => buildReport.enqueue(m, REPORT_MS)));
  // Emails keep arriving meanwhile, as they would from a web app.
  const emails: TaskResult[] = [];
  for (let i = 1; i <= EMAILS; i++) {
    if (i > 1) await new Promise((resolve) => setTimeout(resolve, EMAIL_EVERY_MS));
    emails.push(await sendEmail.enqueue(`user${i}@example.com`, `Your order #${i} has shipped`));
  }
  await Promise.all([...reports, ...emails].map((r) => r.wait({ timeoutMs: 30_000 })));

  console.log(`\n${title} (times in ms from the first enqueue):`);
  for (const r of reports) console.log(describe(`report ${r.args[0]}`, r, t0));
  for (const r of emails) console.log(describe(`email to ${String(r.args[0]).split("@")[0]}`, r, t0));
  const failed = [...reports, ...emails].filter((r) => r.status !== "SUCCESSFUL").length;
  console.log(`${reports.length + emails.length - failed} SUCCESSFUL, ${failed} FAILED`);
  if (failed > 0) process.exitCode = 1;
  await closeAll();
  return Math.max(...emails.map(waited));
}

function describe(label: string, r: TaskResult, t0: number): string {
  const at = (date: Date | null) => String((date?.getTime() ?? t0) - t0).padStart(5);
  return (
    `  ${label.padEnd(18)} enqueued ${at(r.enqueuedAt)}  started ${at(r.startedAt)}  finished ${at(r.finishedAt)}` +
    `  waited ${String(waited(r)).padStart(4)}  ${r.status} on worker ${r.workerIds.at(-1)}`
  );
}

function waited(r: TaskResult): number {
  return (r.startedAt?.getTime() ?? Date.now()) - r.enqueuedAt.getTime();
}
