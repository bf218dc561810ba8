/*
 * One process of bench/pg-store.ts: claims and settles (succeeded) until nothing is READY, then
 * prints {"rows", "start", "end"} (epoch ms with sub-ms precision). Starts on a stdin line.
 *   node --import tsx bench/pg-claim-child.ts <url> <workerId> <batch>
 */
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { openStore } from "../src/db/open-store.ts";

const [url, workerId, batch] = process.argv.slice(2) as [string, string, string];
const store = await openStore(url);
await store.migrate();
// Warm the pool and the prepared statements before the clock starts.
await store.claim({ workerId, queues: ["warm-up"], excludeQueues: [], limit: 1, leaseMs: 60_000 });
const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
await new Promise<void>((resolve) => lines.once("line", () => resolve()));
lines.close();
process.stdin.destroy();
const now = () => performance.timeOrigin + performance.now();
const start = now();
let rows = 0;
for (;;) {
  const claims = await store.claim({ workerId, queues: "*", excludeQueues: [], limit: Number(batch), leaseMs: 60_000 });
  if (claims.length === 0) break;
  await store.settle(claims.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: null })));
  rows += claims.length;
}
const end = now();
await store.close();
process.stdout.write(`${JSON.stringify({ rows, start, end })}\n`);
