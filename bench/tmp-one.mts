import { WorkerPool } from "../src/pool/pool.ts";
const fixture = new URL("../test/fixtures/pool/plain.mjs", import.meta.url);
const runtime = process.argv[2] as "thread" | "process";
let key = 0; let done = 0; const finished = new Set<number>(); const started = new Set<number>();
const pool = new WorkerPool({ runtime, lanes: { default: { maxWorkers: 2 } }, listener: { onStart(j) { started.add(j.key); }, onProgress() {}, onFinish(j, o) { done++; finished.add(j.key); if (!o.ok) console.log("fail", j.key, o.error.message); } } });
const N = Number(process.argv[3]);
for (let i = 0; i < N; i++) { key++; pool.submit({ key, moduleUrl: fixture.href, exportName: "noop", args: [], priority: 0, lane: "default", runAfter: null, resultId: `r${key}`, attempt: 1, contextMeta: null, timeoutMs: null }); }
const t = setInterval(() => {
  const missing = []; for (let k = 1; k <= N; k++) if (!finished.has(k)) missing.push(k);
  console.log("done", done, "pending", pool.pending, "missing", missing.slice(0, 10), "started-not-finished", missing.filter((k) => started.has(k)).slice(0, 10), JSON.stringify(pool.workerInfo().map((w) => [w.workerId, w.busy, w.tasksDone])));
  if (done === N) { clearInterval(t); void pool.close(); }
}, 2000);
