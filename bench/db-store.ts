/**
 * Raw claim+settle throughput of the SQLite store: N READY rows in one file, P processes each
 * claiming `batch` rows at a time and settling them in one transaction, until none is left.
 * Also the cost of the READY index: the same loop over a table holding finished rows, with and
 * without the index. No tasks run: this is the ceiling the worker's bookkeeping works under.
 *
 *   node --import tsx bench/db-store.ts [tasks=20000] [processes=1,2,4] [batch=1,16] [synchronous=normal]
 *   node --import tsx bench/db-store.ts index [ready=10000] [finished=10000]
 *
 * Prints tasks/s per row; the machine's load average first, since it moves every number here.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { openStore } from "../src/db/open-store.ts";
import { loadSqliteDriver } from "../src/db/sqlite/driver.ts";
import type { NewTaskRow, TaskStore } from "../src/db/store.ts";

const worker = fileURLToPath(new URL("./db-store-worker.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tasklane-bench-db-"));
let files = 0;

function row(): NewTaskRow {
  return {
    id: randomUUID(),
    taskPath: "file:///bench/tasks.mjs#noop",
    queueName: "default",
    backendName: "default",
    priority: 0,
    args: [],
    runAfter: null,
    maxAttempts: 1,
    backoffMs: null,
    timeoutMs: null,
  };
}

async function fill(store: TaskStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.enqueue(row());
}

/**
 * Runs `processes` workers over the file until it has no READY row; resolves with tasks/s and the
 * largest the -wal file grew meanwhile (SQLite checkpoints it back every ~1000 pages when it can).
 */
async function drain(
  url: string,
  processes: number,
  batch: number,
  synchronous: string,
): Promise<{ rate: number; walMb: number }> {
  let walBytes = 0;
  const wal = `${url.slice("sqlite:".length)}-wal`;
  const sampler = setInterval(() => {
    walBytes = Math.max(walBytes, statSync(wal, { throwIfNoEntry: false })?.size ?? 0);
  }, 20);
  const children: ChildProcess[] = [];
  const results: Promise<number>[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < processes; i++) {
    const child = spawn(process.execPath, ["--import", "tsx", worker, url, `w${i}`, String(batch), synchronous], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    children.push(child);
    const lines = createInterface({ input: child.stdout! });
    ready.push(new Promise((resolve) => lines.once("line", () => resolve())));
    results.push(
      new Promise((resolve, reject) => {
        lines.on("line", (line) => {
          if (line.startsWith("{")) resolve((JSON.parse(line) as { done: number }).done);
        });
        child.on("exit", (code) => (code === 0 ? undefined : reject(new Error(`worker exited ${code}`))));
      }),
    );
  }
  await Promise.all(ready);
  const start = performance.now();
  for (const child of children) child.stdin!.write("go\n");
  const done = (await Promise.all(results)).reduce((a, b) => a + b, 0);
  const rate = done / ((performance.now() - start) / 1000);
  clearInterval(sampler);
  return { rate, walMb: walBytes / 1e6 };
}

async function throughput(args: string[]): Promise<void> {
  const tasks = Number(args[0] ?? 20_000);
  const processes = (args[1] ?? "1,2,4").split(",").map(Number);
  const batches = (args[2] ?? "1,16").split(",").map(Number);
  const synchronous = args[3] ?? "normal";
  console.log(`claim+settle, ${tasks} rows, synchronous=${synchronous}`);
  for (const batch of batches) {
    for (const p of processes) {
      const url = `sqlite:${join(dir, `t${++files}.db`)}`;
      const store = await openStore(url);
      await fill(store, tasks);
      await store.close();
      const { rate, walMb } = await drain(url, p, batch, synchronous);
      const perSecond = Math.round(rate).toLocaleString("en");
      console.log(
        `  batch ${String(batch).padStart(3)}  processes ${p}  ${perSecond} tasks/s  (-wal at most ${walMb.toFixed(1)} MB)`,
      );
    }
  }
}

/** With `finished` finished rows and `ready` READY ones, claim+settle half of the READY ones. */
async function index(args: string[]): Promise<void> {
  const ready = Number(args[0] ?? 10_000);
  const finished = Number(args[1] ?? 10_000);
  console.log(`claim+settle (batch 1, 1 process) over ${ready} READY + ${finished} finished rows`);
  for (const withIndex of [true, false]) {
    const path = join(dir, `t${++files}.db`);
    const store = await openStore(`sqlite:${path}`);
    await fill(store, finished);
    const claims = await store.claim({ workerId: "w", queues: "*", excludeQueues: [], limit: finished, leaseMs: 1 });
    await store.settle(claims.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: null })));
    await fill(store, ready);
    await store.close();
    if (!withIndex) {
      const db = new (loadSqliteDriver())(path);
      db.exec("DROP INDEX tasklane_tasks_ready");
      db.close();
    }
    const n = ready / 2;
    const s = await openStore(`sqlite:${path}`);
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const [c] = await s.claim({ workerId: "w", queues: "*", excludeQueues: [], limit: 1, leaseMs: 60_000 });
      await s.settle([{ id: c!.row.id, token: c!.token, kind: "succeeded", value: null }]);
    }
    const rate = n / ((performance.now() - start) / 1000);
    await s.close();
    console.log(
      `  ${withIndex ? "with" : "without"} the READY index: ${Math.round(rate).toLocaleString("en")} tasks/s`,
    );
  }
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} on ${(await import("node:os")).availableParallelism()} cores`,
);
try {
  if (process.argv[2] === "index") await index(process.argv.slice(3));
  else await throughput(process.argv.slice(2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
