import { WorkerPool } from "../src/pool/pool.ts";
const runtime = (process.argv[2] ?? "process") as "process" | "thread";
const N = Number(process.argv[3] ?? 20000);
const fixture = new URL("file:///work/wt/i9b/test/fixtures/pool/plain.mjs");
let remaining = 0; let wake: (() => void) | null = null; let key = 0;
const pool = new WorkerPool({ runtime, lanes: { default: { maxWorkers: 2 } }, listener: { onStart() {}, onProgress() {}, onFinish(_j, o) { if (!o.ok) console.log("FAIL", o.error.message); if (--remaining === 0) wake?.(); } } });
const batch = (n: number) => new Promise<void>((resolve) => { remaining = n; wake = resolve; for (let i = 0; i < n; i++) { key++; pool.submit({ key, moduleUrl: fixture.href, exportName: "noop", args: [], priority: 0, lane: "default", runAfter: null, resultId: `r${key}`, attempt: 1, contextMeta: null, timeoutMs: null }); } });
await batch(2000);
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const timer = setInterval(() => console.log("remaining", remaining, pool.workerInfo().map(w => w.busy)), 2000);
  await batch(N);
  clearInterval(timer);
  console.log("recalled", (globalThis as { recalls?: number }).recalls); console.log(runtime, Math.round(N / ((performance.now() - t0) / 1000)), "jobs/s");
}
await pool.close();
