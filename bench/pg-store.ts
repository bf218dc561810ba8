/**
 * The PostgreSQL store on a throwaway local server (unix socket): a raw claim+settle loop through
 * PgStore with 1, 2 and 4 processes, and the enqueue → onReady wake-up latency between two stores.
 *
 *   node --import tsx bench/pg-store.ts [--durable] [--rows 20000] [--batch 1] [--procs 1,2,4]
 *
 * Default server settings are the tests' (fsync, synchronous_commit and full_page_writes off);
 * --durable keeps PostgreSQL's defaults (fsync and synchronous_commit on). Each process count gets
 * a fresh database with `rows` READY rows; the rate is rows / (last process done − first start).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import pg from "pg";
import { openStore } from "../src/db/open-store.ts";
import type { NewTaskRow } from "../src/db/store.ts";
import { findPostgresBin, startPostgres } from "../test/support/postgres-server.ts";

const { values } = parseArgs({
  options: {
    durable: { type: "boolean", default: false },
    rows: { type: "string", default: "20000" },
    batch: { type: "string", default: "1" },
    procs: { type: "string", default: "1,2,4" },
    samples: { type: "string", default: "1000" },
  },
});
const ROWS = Number(values.rows);
const found = findPostgresBin();
if ("missing" in found) throw new Error(found.missing);
const server = await startPostgres(found.bin, { durable: values.durable });
const child = new URL("./pg-claim-child.ts", import.meta.url).pathname;

const row = (): NewTaskRow => ({
  id: randomUUID(),
  taskPath: "file:///bench/tasks.js#noop",
  queueName: "default",
  backendName: "default",
  priority: 0,
  args: [],
  runAfter: null,
  maxAttempts: 1,
  backoffMs: null,
  timeoutMs: null,
});

async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: server.url("postgres") });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url(name);
}

async function claimLoop(procs: number, batch: number): Promise<number> {
  const url = await freshDatabase(`bench_${procs}_${batch}_${Date.now()}`);
  const store = await openStore(url);
  for (let i = 0; i < ROWS; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, ROWS - i) }, () => store.enqueue(row())));
  }
  await store.close();
  const children = Array.from({ length: procs }, (_, i) =>
    spawn(process.execPath, ["--import", "tsx", child, url, `bench-${i}`, String(batch)], {
      stdio: ["pipe", "pipe", "inherit"],
    }),
  );
  const outputs = children.map((c) => {
    const lines = createInterface({ input: c.stdout! });
    const ready = new Promise<void>((resolve) => lines.once("line", () => resolve()));
    const result = new Promise<{ rows: number; start: number; end: number }>((resolve) => {
      lines.on("line", (line) => {
        if (line.startsWith("{")) resolve(JSON.parse(line));
      });
    });
    return { ready, result };
  });
  await Promise.all(outputs.map((o) => o.ready));
  for (const c of children) c.stdin!.write("go\n");
  const results = await Promise.all(outputs.map((o) => o.result));
  const total = results.reduce((n, r) => n + r.rows, 0);
  if (total !== ROWS) throw new Error(`claimed ${total} of ${ROWS}`);
  const seconds = (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) / 1000;
  return ROWS / seconds;
}

async function wakeLatency(samples: number): Promise<{ p50: number; p99: number; mean: number }> {
  const url = await freshDatabase(`bench_wake_${Date.now()}`);
  const listener = await openStore(url);
  const producer = await openStore(url);
  await producer.migrate();
  let woke: (() => void) | undefined;
  listener.onReady(() => woke?.());
  await (listener as unknown as { whenListening(): Promise<void> }).whenListening();
  const times: number[] = [];
  // The LISTEN connection is unref'd by design: something must keep this process alive while it
  // only awaits a wake-up (a worker has its poll timer).
  const alive = setInterval(() => {}, 1000);
  for (let i = 0; i < samples + 50; i++) {
    const wake = new Promise<void>((resolve) => {
      woke = resolve;
    });
    const t0 = performance.now();
    await producer.enqueue(row());
    await wake;
    if (i >= 50) times.push(performance.now() - t0);
  }
  clearInterval(alive);
  await Promise.all([listener.close(), producer.close()]);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { p50: at(0.5), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

try {
  console.log(
    `PostgreSQL ${found.bin.split("/").at(-2)} on a unix socket, ${values.durable ? "durable (fsync, synchronous_commit on)" : "fsync/synchronous_commit/full_page_writes off"}; ` +
      `${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}; ${ROWS} rows, claim batch ${values.batch}`,
  );
  for (const procs of values.procs.split(",").map(Number)) {
    const rate = await claimLoop(procs, Number(values.batch));
    console.log(`claim+settle, ${procs} process(es): ${Math.round(rate)} rows/s`);
  }
  const latency = await wakeLatency(Number(values.samples));
  console.log(
    `enqueue → onReady wake-up (another store, same process): p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, mean ${latency.mean.toFixed(2)} ms`,
  );
} finally {
  await server.stop();
}
