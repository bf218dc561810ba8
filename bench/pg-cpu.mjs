// Where a PostgreSQL no-op flood spends the machine's CPU, by process: `npm run build && node
// bench/pg-cpu.mjs`. The same end-to-end flood as `tasklane bench`'s PostgreSQL section (this
// process enqueues through the public API, 16 enqueues in flight; `tasklane worker --concurrency 2`
// processes claim and run), on a throwaway server with test settings. It totals utime + stime of
// every process from /proc/<pid>/stat over the flood and prints µs of CPU per task by kind, and
// write syscalls per task (syscw from /proc/<pid>/io). Linux only.
//
//   WORKERS=2 TASKS=20000   the flood (defaults)
//   STATS=1                 also pg_stat_statements: calls, rows and server time per task by statement
//   DROP_CHANGED_INDEX=1    drop the dashboard's changed_at index before the flood (what it costs)
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { closeAll, configure } from "tasklane";
import { WorkerProcess } from "../dist/bench/measure/db-worker.js";
import { findPostgresBin, startPostgres } from "../dist/bench/postgres-server.js";
import { noop } from "./tasks.mjs";

const WORKERS = Number(process.env.WORKERS ?? 2);
const TASKS = Number(process.env.TASKS ?? 20_000);
const STATS = process.env.STATS === "1";
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

const found = findPostgresBin();
if ("missing" in found) throw new Error(found.missing);
const server = await startPostgres(
  found.bin,
  STATS ? { extra: ["-c shared_preload_libraries=pg_stat_statements"] } : {},
);
const dir = mkdtempSync(join(tmpdir(), "tasklane-pg-cpu-"));
const url = server.url("postgres");
const entry = { backend: "database", options: { url } };
const config = join(dir, "tasklane.config.json");
writeFileSync(config, JSON.stringify({ default: entry }));
configure({ default: entry });
const sql = new pg.Client({ connectionString: url });
await sql.connect();
const workers = Array.from({ length: WORKERS }, () => new WorkerProcess(dir, config, 2, 1));

/** Enqueues `count` no-ops 16 at a time; resolves with ms from the first enqueue to the last finished_at. */
async function flood(count) {
  const t0 = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      await noop.enqueue();
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  for (;;) {
    const open = await sql.query(
      "SELECT count(*)::int AS n FROM tasklane.tasklane_tasks WHERE status IN ('READY', 'RUNNING')",
    );
    if (open.rows[0].n === 0) break;
    for (const w of workers) w.checkAlive();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const last = await sql.query(
    "SELECT floor(extract(epoch from max(finished_at)) * 1000)::float8 AS last FROM tasklane.tasklane_tasks",
  );
  return Number(last.rows[0].last) - t0;
}

function kindOf(pid, cmd) {
  if (pid === process.pid) return "enqueuing process";
  if (cmd.includes("cli/main.js worker")) return "worker parents";
  if (cmd.startsWith("postgres:"))
    return cmd.includes("postgres postgres") ? "PostgreSQL backends" : "PostgreSQL other";
  if (cmd.includes("node")) return "worker children";
  return "other";
}

/** pid → { kind, ticks, writes } for every process now. */
function snapshot() {
  const out = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ");
      const io = /syscw: (\d+)/.exec(readFileSync(`/proc/${name}/io`, "utf8"));
      out.set(name, {
        kind: kindOf(Number(name), cmd),
        ticks: Number(fields[11]) + Number(fields[12]),
        writes: io ? Number(io[1]) : 0,
      });
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

try {
  await flood(100 * WORKERS); // every child forked, the module imported, the JIT warm
  await sql.query("DELETE FROM tasklane.tasklane_tasks");
  if (process.env.DROP_CHANGED_INDEX === "1") await sql.query("DROP INDEX tasklane.tasklane_tasks_changed");
  if (STATS) {
    await sql.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    await sql.query("SELECT pg_stat_statements_reset()");
  }
  const before = snapshot();
  const ms = await flood(TASKS);
  const after = snapshot();
  const byKind = new Map();
  for (const [pid, now] of after) {
    const then = before.get(pid) ?? { ticks: 0, writes: 0 };
    const sum = byKind.get(now.kind) ?? { us: 0, writes: 0 };
    sum.us += ((now.ticks - then.ticks) * TICK_US) / TASKS;
    sum.writes += (now.writes - then.writes) / TASKS;
    byKind.set(now.kind, sum);
  }
  const total = [...byKind.values()].reduce((a, b) => a + b.us, 0);
  console.log(`${TASKS} no-op tasks, ${WORKERS} worker(s) --concurrency 2: ${Math.round(TASKS / (ms / 1000))} tasks/s`);
  console.log(`CPU per task, all processes: ${Math.round(total)} µs`);
  console.table(
    [...byKind]
      .filter(([, v]) => v.us >= 1)
      .sort((a, b) => b[1].us - a[1].us)
      .map(([kind, v]) => ({ kind, "CPU µs/task": Math.round(v.us), "writes/task": v.writes.toFixed(2) })),
  );
  if (STATS) {
    const statements = await sql.query(
      `SELECT calls::int, rows::int, round((total_exec_time * 1000 / $1)::numeric, 1)::float8 AS "server µs/task",
              left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS statement
       FROM pg_stat_statements WHERE query ILIKE '%tasklane_tasks%' ORDER BY total_exec_time DESC LIMIT 8`,
      [TASKS],
    );
    console.table(statements.rows);
  }
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  await sql.end();
  await closeAll({ timeoutMs: 5_000 });
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
