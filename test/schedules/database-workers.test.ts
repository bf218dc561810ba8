/**
 * Periodic tasks on the database backend, on each dialect (one SQLite file; one PostgreSQL
 * database where the run has a server): real `tasklane worker` processes, their schedule clocks
 * driven by the test, enqueue every slot exactly once (the slots table's unique key decides, not
 * timing); a worker down during slots applies each schedule's missed policy; a schedule edited
 * while workers run, or removed, never fires a slot twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { tasklane } from "../cli/helpers.ts";
import { SCHEDULE_DIALECTS, type ScheduleDatabase, scheduleDatabase } from "./support/schedule-database.ts";
import { advanceAll, type ClockedWorker, clockedWorker, spawnClockedWorker, TASKS } from "./support/workers.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** Five seconds past a minute: no slot of any schedule here is due at the start itself. */
const T0 = Date.parse("2026-03-29T00:00:05Z");

/** Every multiple of `period` in (from, to]. */
function multiples(period: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let at = Math.floor(from / period) * period + period; at <= to; at += period) out.push(at);
  return out;
}

async function slotsOf(db: ScheduleDatabase, name: string): Promise<number[]> {
  return (await db.slots()).filter((s) => s.schedule_name === name).map((s) => s.slot_at);
}

/** Checks the task rows against the slots table: one row per slot, carrying it. */
async function expectOneTaskPerSlot(db: ScheduleDatabase): Promise<void> {
  const tasks = await db.tasks();
  const slots = await db.slots();
  expect(tasks.length).toBe(slots.length);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const slot of slots) expect(byId.get(slot.task_id)?.scheduled_at).toBe(slot.slot_at);
}

/** `tasklane schedules --json`: each schedule's name, last slot and whether the backend tracks slots. */
async function lastSlots(db: ScheduleDatabase, config: string): Promise<[string, string | null, boolean][]> {
  const listed = await tasklane(["schedules", "--config", config, "--json"], { cwd: db.dir });
  expect(listed.stderr).toBe("");
  expect(listed.code).toBe(0);
  const rows = JSON.parse(listed.stdout) as { name: string; lastSlot: string | null; tracked: boolean }[];
  return rows.map((r) => [r.name, r.lastSlot, r.tracked]);
}

/** The test's database and workers, for the cleanup. */
let opened: ScheduleDatabase | undefined;
let workers: ClockedWorker[] = [];
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
  await opened?.remove();
  opened = undefined;
});

async function start(db: ScheduleDatabase, config: string, at: number, n: number): Promise<ClockedWorker[]> {
  const started = await Promise.all(Array.from({ length: n }, () => clockedWorker(config, db.dir, at)));
  workers.push(...started);
  return started;
}

async function stopAll(list: readonly ClockedWorker[]): Promise<void> {
  const codes = await Promise.all(list.map((w) => w.stop()));
  expect(codes).toEqual(list.map(() => 0));
  workers = workers.filter((w) => !list.includes(w));
}

describe.each(SCHEDULE_DIALECTS)("tasklane worker evaluating schedules on one %s database", (dialect) => {
  /** A fresh database for this test, removed after it. */
  async function newDatabase(): Promise<ScheduleDatabase> {
    opened = await scheduleDatabase(dialect);
    return opened;
  }

  it("three workers enqueue every slot of every schedule exactly once over 40 minutes", {
    timeout: 180_000,
  }, async () => {
    const db = await newDatabase();
    const config = db.config("v1", [
      { name: "minutely", task: `${TASKS}#report`, args: ["m"], cron: "* * * * *", queueName: "reports" },
      { name: "ten-seconds", task: `${TASKS}#report`, args: ["t"], every: "10s", queueName: "reports" },
      {
        name: "quarter-berlin",
        task: `${TASKS}#report`,
        args: ["q"],
        cron: "*/15 * * * *",
        timeZone: "Europe/Berlin",
        queueName: "reports",
      },
    ]);
    const three = await start(db, config, T0, 3);
    // Uneven steps, some over a minute: each worker's timers fire at every slot on the way.
    let now = T0;
    for (let step = 0; now < T0 + 40 * MINUTE; step++) {
      now = Math.min(T0 + 40 * MINUTE, now + [7, 13, 61, 29, 95][step % 5]! * SECOND);
      await advanceAll(three, now);
    }
    expect(await slotsOf(db, "minutely")).toEqual(multiples(MINUTE, T0, now));
    expect(await slotsOf(db, "ten-seconds")).toEqual(multiples(10 * SECOND, T0, now));
    expect(await slotsOf(db, "quarter-berlin")).toEqual(multiples(15 * MINUTE, T0, now));
    await expectOneTaskPerSlot(db);
    expect((await db.tasks()).every((t) => t.status === "READY")).toBe(true);
    // Each worker logged the slots it won; together, every slot once.
    const won = three.map((w) => (w.stderr().match(/enqueued the slot due/g) ?? []).length);
    expect(won.reduce((a, b) => a + b, 0)).toBe((await db.slots()).length);
    await stopAll(three);
  });

  it("after every worker was down, each schedule's missed policy decides; later workers go on from there", {
    timeout: 180_000,
  }, async () => {
    const db = await newDatabase();
    const config = db.config("v1", [
      { name: "latest", task: `${TASKS}#report`, args: ["l"], cron: "* * * * *", queueName: "reports" },
      {
        name: "skip",
        task: `${TASKS}#report`,
        args: ["s"],
        cron: "*/15 * * * *",
        missed: "skip",
        queueName: "reports",
      },
      {
        name: "all-1h",
        task: `${TASKS}#report`,
        args: ["a"],
        every: "10s",
        missed: { all: true, within: "1h" },
        queueName: "reports",
      },
    ]);
    const first = await start(db, config, T0, 3);
    const t1 = T0 + 20 * MINUTE;
    await advanceAll(first, T0 + 10 * MINUTE);
    await advanceAll(first, t1);
    await stopAll(first);
    const before = {
      latest: await slotsOf(db, "latest"),
      skip: await slotsOf(db, "skip"),
      all: await slotsOf(db, "all-1h"),
    };
    expect(before.skip).toEqual(multiples(15 * MINUTE, T0, t1));

    // Down for two and a half hours; back at 02:47:35, 7.5 minutes after the last quarter hour.
    const t2 = Date.parse("2026-03-29T02:47:35Z");
    const back = await start(db, config, t2, 1);
    await advanceAll(back, t2);
    expect(await slotsOf(db, "latest")).toEqual([...before.latest, Date.parse("2026-03-29T02:47:00Z")]);
    expect(await slotsOf(db, "skip")).toEqual(before.skip);
    expect(await slotsOf(db, "all-1h")).toEqual([...before.all, ...multiples(10 * SECOND, t2 - HOUR - 1, t2)]);
    expect((await slotsOf(db, "all-1h")).length - before.all.length).toBe(360);

    // Two more workers join: none fires a missed slot again, and every slot from now on runs once.
    const joined = [...back, ...(await start(db, config, t2, 2))];
    const counted = (await db.slots()).length;
    await advanceAll(joined, t2);
    expect((await db.slots()).length).toBe(counted);
    const t3 = t2 + 20 * MINUTE;
    await advanceAll(joined, t2 + 10 * MINUTE);
    await advanceAll(joined, t3);
    expect((await slotsOf(db, "latest")).filter((at) => at > t2)).toEqual(multiples(MINUTE, t2, t3));
    expect((await slotsOf(db, "skip")).filter((at) => at > t2)).toEqual(multiples(15 * MINUTE, t2, t3));
    expect((await slotsOf(db, "all-1h")).filter((at) => at > t2)).toEqual(multiples(10 * SECOND, t2, t3));
    await expectOneTaskPerSlot(db);
    await stopAll(joined);
  });

  it("a schedule edited while workers run fires no slot twice; a removed one never fires again", {
    timeout: 180_000,
  }, async () => {
    const db = await newDatabase();
    const report = { task: `${TASKS}#report`, queueName: "reports" };
    const v1 = db.config("v1", [
      { name: "report", ...report, args: ["v1"], cron: "*/2 * * * *" },
      { name: "cleanup", ...report, args: ["c"], cron: "* * * * *" },
    ]);
    // v2 edits `report` (every minute, new arguments) and removes `cleanup`.
    const v2 = db.config("v2", [{ name: "report", ...report, args: ["v2"], cron: "* * * * *" }]);
    // Before any worker ran: tracked, nothing recorded yet.
    expect(await lastSlots(db, v1)).toEqual([
      ["report", null, true],
      ["cleanup", null, true],
    ]);
    const old = await start(db, v1, T0, 2);
    const t1 = T0 + 10 * MINUTE;
    await advanceAll(old, t1);
    // A rolling deploy: a v2 worker joins the two v1 workers for ten minutes, then takes over. The
    // clocks move a minute at a time, as real ones agree on the minute: a worker a whole slot behind
    // the others would find a later slot recorded and, in order, not go back for the earlier one.
    const fresh = await start(db, v2, t1, 1);
    const t2 = t1 + 10 * MINUTE;
    for (let t = t1 + MINUTE; t <= t2; t += MINUTE) await advanceAll([...old, ...fresh], t);
    await stopAll(old);
    const cleanupSlots = await slotsOf(db, "cleanup");
    const t3 = t2 + 10 * MINUTE;
    const all = [...fresh, ...(await start(db, v2, t2, 1))];
    for (let t = t2 + MINUTE; t <= t3; t += MINUTE) await advanceAll(all, t);

    const reportSlots = await slotsOf(db, "report");
    expect(new Set(reportSlots).size).toBe(reportSlots.length);
    // v1 alone: even minutes; with the v2 worker: every minute (its odd ones, and the even ones
    // whichever worker got them first); after the deploy: every minute.
    expect(reportSlots).toEqual([...multiples(2 * MINUTE, T0, t1), ...multiples(MINUTE, t1, t3)]);
    const argsBySlot = new Map((await db.tasks()).map((t) => [t.scheduled_at, JSON.parse(t.args) as string[]]));
    for (const at of multiples(MINUTE, t2, t3)) expect(argsBySlot.get(at)).toEqual(["v2"]);
    // cleanup ran until its last v1 worker stopped, and never after.
    expect(cleanupSlots.length).toBeGreaterThan(0);
    expect(await slotsOf(db, "cleanup")).toEqual(cleanupSlots);
    expect(Math.max(...cleanupSlots)).toBeLessThanOrEqual(t2);
    await expectOneTaskPerSlot(db);

    // tasklane schedules reads the last slot from the database.
    expect(await lastSlots(db, v1)).toEqual([
      ["report", new Date(t3 - (t3 % MINUTE)).toISOString(), true],
      ["cleanup", new Date(Math.max(...cleanupSlots)).toISOString(), true],
    ]);
    await stopAll(all);
  });

  it("a worker runs a slot's task, which sees its slot", { timeout: 120_000 }, async () => {
    const db = await newDatabase();
    const config = db.config("v1", [{ name: "slot", task: `${TASKS}#slotOf`, args: ["x"], cron: "* * * * *" }]);
    const [one] = await start(db, config, T0, 1);
    await one!.advance(T0 + MINUTE);
    const [slot] = await db.slots();
    const store = await db.openStore();
    try {
      const row = await store.waitFinished(slot!.task_id, AbortSignal.timeout(60_000));
      const at = new Date(T0 - (T0 % MINUTE) + MINUTE).toISOString();
      expect(row.returnValue).toEqual({ label: "x", scheduledAt: at, resultScheduledAt: at, attempt: 1 });
    } finally {
      await store.close();
    }
  });

  it("--no-schedules evaluates none (and says so)", { timeout: 60_000 }, async () => {
    const db = await newDatabase();
    const config = db.config("v1", [{ name: "minutely", task: `${TASKS}#report`, cron: "* * * * *" }]);
    const off = spawnClockedWorker(config, db.dir, T0, ["--no-schedules", "--queue-name", "default"]);
    workers.push(off);
    await off.logged(/ started: queues/);
    expect(off.stderr()).toContain("Schedules not evaluated (--no-schedules): minutely.");
    const on = await clockedWorker(config, db.dir, T0);
    workers.push(on);
    await on.logged(/Evaluating 1 schedule\(s\): minutely\./);
    await off.stop();
    expect(off.stderr()).not.toContain("Evaluating");
  });
});
