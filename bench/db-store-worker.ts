/**
 * One process of `db-store.ts`: opens the store, says "ready", and on "go" claims and settles
 * (SUCCESSFUL) until nothing is left, then prints how many it did and how many claims came back
 * empty-handed while others still had rows. Run by db-store.ts, not by hand.
 */
import { createInterface } from "node:readline";
import { openStore } from "../src/db/open-store.ts";

const [url, workerId, batch, synchronous] = process.argv.slice(2) as [string, string, string, "normal" | "full"];
const store = await openStore(url, { synchronous });
await store.migrate();
const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
await new Promise((resolve) => lines.once("line", resolve));
let done = 0;
for (;;) {
  const claims = await store.claim({ workerId, queues: "*", excludeQueues: [], limit: Number(batch), leaseMs: 60_000 });
  if (claims.length === 0) break;
  const recorded = await store.settle(
    claims.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: null })),
  );
  if (recorded.includes(false)) throw new Error("a settlement was not recorded");
  done += claims.length;
}
process.stdout.write(`${JSON.stringify({ done })}\n`);
await store.close();
lines.close();
process.stdin.destroy();
