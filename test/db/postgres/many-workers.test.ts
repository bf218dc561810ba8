/**
 * Several machines on one PostgreSQL database, played by real `tasklane worker` processes (each
 * with its own pool of children): every task runs once per attempt, and neither a worker killed
 * with SIGKILL nor the server restarting under them loses one or runs one twice within an attempt.
 * The oracle is the log each task appends `label resultId:attempt` to (O_APPEND, one write a line).
 */
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, expect, it } from "vitest";
import type { DatabaseBackend } from "../../../src/backends/database.ts";
import type { TaskRow, TaskStore } from "../../../src/db/store.ts";
import { closeAll, getBackend } from "../../../src/index.ts";
import { record } from "../../fixtures/db/tasks.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { type PostgresServer, startPostgres } from "../../support/postgres-server.ts";
import { describeWhere } from "../../support/where.ts";
import { type Database, type Run, tempDatabase, until, worker } from "../support.ts";

const server = postgresTestServer();
/** Short, so that a killed worker's rows come back within a second or two. */
const LEASE_MS = 1000;

let db: Database | undefined;
let privateServer: PostgresServer | undefined;
let databaseUrl: string | undefined;
const running = new Set<Run>();

afterEach(async () => {
  for (const run of running) process.kill(-run.pid, "SIGKILL");
  await Promise.all([...running].map((r) => r.exited));
  running.clear();
  await closeAll({ timeoutMs: 0 });
  db?.remove();
  db = undefined;
  if (databaseUrl !== undefined) await server.dropDatabase(databaseUrl);
  databaseUrl = undefined;
  await privateServer?.stop();
  privateServer = undefined;
});

const store = (): Promise<TaskStore> => (getBackend() as DatabaseBackend).store();

function start(args: readonly string[]): Run {
  if (db === undefined) throw new Error("no database");
  const run = worker(db, ["--concurrency", "2", "--interval", "0.5", ...args], 300_000);
  running.add(run);
  void run.exited.then(() => running.delete(run));
  return run;
}

/** Enqueues `n` record tasks, 100 at a time, that may be retried after a lost attempt. */
async function enqueue(n: number): Promise<void> {
  if (db === undefined) throw new Error("no database");
  const log = db.log;
  const retried = record.using({ maxAttempts: 20, backoff: 0 });
  for (let i = 0; i < n; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => retried.enqueue(log, `t${i + j}`)));
  }
}

async function allRows(s: TaskStore): Promise<TaskRow[]> {
  const rows: TaskRow[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await s.list({ limit: 500, ...(after === undefined ? {} : { after }) });
    rows.push(...page.rows);
    if (page.next === null) return rows;
    after = page.next;
  }
}

const finished = async (n: number) => {
  const counts = await (await store()).counts();
  return counts.length === 1 && counts[0]?.status === "SUCCESSFUL" && counts[0].count === n;
};

/**
 * Every row SUCCESSFUL; each `id:attempt` logged at most once and the successful (last) attempt
 * logged; every earlier attempt recorded as WorkerLost. Returns how many attempts were lost.
 */
async function expectEachOncePerAttempt(n: number): Promise<number> {
  if (db === undefined) throw new Error("no database");
  const s = await store();
  expect(await s.counts()).toEqual([{ queueName: "default", status: "SUCCESSFUL", count: n }]);
  const logged = db.lines().map((line) => line.split(" ")[1] ?? "");
  const twice = logged.filter((entry, i) => logged.indexOf(entry) !== i);
  expect(twice).toEqual([]);
  const seen = new Set(logged);
  const rows = await allRows(s);
  expect(rows).toHaveLength(n);
  let lost = 0;
  for (const row of rows) {
    const attempts = row.workerIds.length;
    expect(seen.has(`${row.id}:${attempts}`), `${row.id}: its successful attempt ${attempts} is logged`).toBe(true);
    expect(row.errors).toHaveLength(attempts - 1);
    expect(row.errors.filter((e) => e.exceptionClassPath !== "WorkerLost")).toEqual([]);
    lost += row.errors.length;
  }
  // No attempt ran that the row does not count.
  const counted = new Map(rows.map((r) => [r.id, r.workerIds.length]));
  const beyond = logged.filter((entry) => {
    const [id, attempt] = entry.split(":");
    return Number(attempt) > (counted.get(id ?? "") ?? 0);
  });
  expect(beyond).toEqual([]);
  return lost;
}

async function stopAll(): Promise<void> {
  const runs = [...running];
  // One restarted just now may not handle SIGTERM yet (Node's default would kill it).
  await Promise.all(runs.map((run) => run.waitFor(/Worker \S+ started/)));
  for (const run of runs) run.child.kill("SIGTERM");
  for (const run of runs) expect((await run.exited).code, run.stderr().slice(-3000)).toBe(0);
}

describeWhere(server.skip === undefined)("tasklane worker: three workers on one PostgreSQL database", () => {
  it("run each of 5,000 tasks exactly once; nothing is left READY or RUNNING", { timeout: 240_000 }, async () => {
    databaseUrl = await server.freshDatabase();
    // The default lease: this is about claims, not about leases running out on a loaded machine.
    db = tempDatabase({ url: databaseUrl });
    db.use();
    await enqueue(5000);
    const runs = [start(["--batch"]), start(["--batch"]), start(["--batch"])];
    for (const run of runs) expect((await run.exited).code, run.stderr().slice(-3000)).toBe(0);
    expect(await expectEachOncePerAttempt(5000)).toBe(0);
    expect(db.lines()).toHaveLength(5000);
  });

  it("lose none and run none twice within an attempt while one of them is SIGKILLed every ~2 s", {
    timeout: 240_000,
  }, async () => {
    databaseUrl = await server.freshDatabase();
    db = tempDatabase({ url: databaseUrl, leaseMs: LEASE_MS });
    db.use();
    const N = 3000;
    await enqueue(N);
    const fleet = [0, 1, 2].map((i) => start(["--worker-id", `w${i}-0`]));
    let done = false;
    const drained = until(() => finished(N), `${N} tasks to succeed`, 200_000).finally(() => {
      done = true;
    });
    let kills = 0;
    while (!done) {
      // The kill cadence is the experiment: a machine dying every two seconds, whatever it is doing.
      await Promise.race([delay(2000), drained]);
      if (done) break;
      const victim = kills % fleet.length;
      const doomed = fleet[victim] as Run;
      process.kill(-doomed.pid, "SIGKILL");
      await doomed.exited;
      kills += 1;
      fleet[victim] = start(["--worker-id", `w${victim}-${kills}`]);
    }
    await drained;
    await stopAll();
    const lost = await expectEachOncePerAttempt(N);
    expect(kills).toBeGreaterThan(0);
    // A killed worker held claims (its children's and those it claimed ahead): they came back.
    expect(lost).toBeGreaterThan(0);
  });

  it("lose none and run none twice within an attempt while the server restarts under them", {
    timeout: 240_000,
  }, async () => {
    // A private server (the shared one serves the other files); synchronous_commit stays on, since a
    // crash may lose an asynchronous commit and this test counts what was committed.
    privateServer = await startPostgres(server.bin, { synchronousCommit: true });
    db = tempDatabase({ url: privateServer.url("postgres"), leaseMs: LEASE_MS });
    db.use();
    const N = 2000;
    await enqueue(N);
    const fleet = [0, 1, 2].map((i) => start(["--worker-id", `w${i}`]));
    const log = db;
    await until(() => log.lines().length >= N / 4, "a quarter of the tasks to run");
    await privateServer.restart();
    await until(() => finished(N), `${N} tasks to succeed after the restart`, 200_000);
    await stopAll();
    await expectEachOncePerAttempt(N);
    // Each worker noticed and said so in its log.
    for (const run of fleet) expect(run.stderr()).toMatch(/reconnect/i);
  });
});
