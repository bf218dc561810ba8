// Notifications with retries: a task posts to an HTTP endpoint and retries failures with backoff.
// A local stand-in endpoint (127.0.0.1, any free port) fails on purpose, so the retries are visible.
// Run: node examples/notify/main.mjs   (after npm run build)
import { createServer } from "node:http";
import { closeAll, configure, taskEvents } from "tasklane";
import { notify } from "./tasks.mjs";

const FAIL_FIRST = 2; // the flaky endpoint answers 503 to this many requests, then 200

configure({ default: { backend: "process-pool", options: { maxWorkers: 2 } } });

// The stand-in for someone else's webhook endpoint, with three behaviours:
//   /hooks/flaky  fails the first FAIL_FIRST requests (503), then accepts;
//   /hooks/down   always 503, so the task gives up after its last attempt;
//   /hooks/gone   410, which no retry can fix, so the task fails at once.
let flakyRequests = 0;
const delivered = [];
const endpoint = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    let status = 404;
    if (req.url === "/hooks/flaky") status = ++flakyRequests <= FAIL_FIRST ? 503 : 200;
    if (req.url === "/hooks/down") status = 503;
    if (req.url === "/hooks/gone") status = 410;
    if (status === 200) delivered.push(JSON.parse(body).message);
    console.log(`  endpoint: POST ${req.url} -> ${status}`);
    res.writeHead(status).end();
  });
});
await new Promise((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${endpoint.address().port}`;

// A retry shows as a new start of the same result, after the failure that caused it.
taskEvents.on("taskStarted", (result) => {
  if (result.attempts > 1) {
    const hook = result.args[0].split("/").pop();
    console.log(`  task ${hook}: attempt ${result.attempts} after "${result.errors.at(-1)?.message}"`);
  }
});
const cases = [
  ["flaky", "Order #1 has shipped"],
  ["down", "Order #2 has shipped"],
  ["gone", "Order #3 has shipped"],
];
let unexpected = 0;
for (const [hook, message] of cases) {
  console.log(`\nNotify ${base}/hooks/${hook}:`);
  const result = await notify.enqueue(`${base}/hooks/${hook}`, message);
  await result.wait({ timeoutMs: 20_000 });
  const tries = `attempt ${result.attempts} of ${notify.maxAttempts}`;
  if (result.status === "SUCCESSFUL") {
    console.log(`  => SUCCESSFUL: delivered with HTTP ${result.returnValue.status} on ${tries}`);
  } else {
    console.log(`  => FAILED on ${tries}: ${result.errors.at(-1)?.message}`);
  }
  // Only the flaky endpoint can be reached in the end; the other two must fail.
  if ((result.status === "SUCCESSFUL") !== (hook === "flaky")) unexpected++;
}

console.log(`\nThe endpoint received ${delivered.length} notification(s): ${JSON.stringify(delivered)}`);
await closeAll();
endpoint.close();
process.exitCode = unexpected === 0 ? 0 : 1;
