import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PgStoreEvent } from "../../../src/db/postgres/connection.ts";
import { openPgStore } from "../../../src/db/postgres/open.ts";
import type { PgStore } from "../../../src/db/postgres/store.ts";
import { TaskStoreError } from "../../../src/errors.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { type PostgresServer, startPostgres } from "../../support/postgres-server.ts";
import { describeWhere } from "../../support/where.ts";
import { newRow } from "./fixtures.ts";

/*
 * The server itself goes away: restarted (pg_ctl -m immediate, a crash as far as clients can tell)
 * while a loop claims and settles, and full (max_connections reached). Each on a private server,
 * so the shared one keeps serving the other test files.
 */

const shared = postgresTestServer();
const ROWS = 400;

describeWhere(shared.skip === undefined)("a PostgreSQL server restarted under a claim loop", () => {
  let server: PostgresServer;
  let worker: PgStore;
  let watcher: PgStore;
  let producer: PgStore;
  const events: PgStoreEvent[] = [];
  const watcherEvents: PgStoreEvent[] = [];

  beforeAll(async () => {
    // synchronous_commit stays on: an asynchronous commit can be lost by the crash, and this test
    // counts committed rows across it.
    server = await startPostgres(shared.bin, { synchronousCommit: true });
    const url = server.url("postgres");
    worker = await openPgStore(url, { onEvent: (e) => events.push(e) });
    watcher = await openPgStore(url, { onEvent: (e) => watcherEvents.push(e) });
    producer = await openPgStore(url);
    for (let i = 0; i < ROWS; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () => producer.enqueue(newRow())));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([worker?.close(), watcher?.close(), producer?.close()]);
    await server?.stop();
  });

  it("loses no row, claims none twice, says so in its events, and LISTEN resumes", { timeout: 120_000 }, async () => {
    let wake: (() => void) | undefined;
    const unsubscribe = watcher.onReady(() => wake?.());
    await watcher.whenListening();

    const claimed = new Map<string, number>();
    let restarted: Promise<void> | undefined;
    for (;;) {
      const claims = await worker.claim({ workerId: "w", queues: "*", excludeQueues: [], limit: 5, leaseMs: 120_000 });
      if (claims.length === 0) break;
      for (const c of claims) claimed.set(c.row.id, (claimed.get(c.row.id) ?? 0) + 1);
      // A third of the way through, the server restarts while the loop goes on.
      if (!restarted && claimed.size >= ROWS / 3) restarted = server.restart();
      const recorded = await worker.settle(
        claims.map((c) => ({ id: c.row.id, token: c.token, kind: "succeeded" as const, value: null })),
      );
      expect(recorded).toEqual(claims.map(() => true));
    }
    await restarted;

    expect([...claimed.values()].filter((n) => n > 1)).toEqual([]);
    expect(claimed.size).toBe(ROWS);
    expect(await worker.counts()).toEqual([{ queueName: "default", status: "SUCCESSFUL", count: ROWS }]);
    const page = await worker.list({ limit: 500 });
    expect(page.rows.filter((r) => r.workerIds.length !== 1)).toEqual([]);
    const kinds = events.map((e) => e.kind);
    expect(kinds).toContain("connection-lost");
    expect(kinds.indexOf("reconnected")).toBeGreaterThan(kinds.indexOf("connection-lost"));
    expect(events.find((e) => e.kind === "connection-lost")?.message).toMatch(/reconnecting with backoff/);

    // The watcher's LISTEN connection came back on its own, and an enqueue elsewhere reaches it.
    if (!watcherEvents.some((e) => e.kind === "listen-resumed")) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    expect(watcherEvents.map((e) => e.kind)).toEqual(expect.arrayContaining(["listen-lost", "listen-resumed"]));
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    await producer.enqueue(newRow({ queueName: "after-restart" }));
    await woken;
    unsubscribe();
  });
});

describeWhere(shared.skip === undefined)("a PostgreSQL server with no connection left", () => {
  let server: PostgresServer;
  const hogs: pg.Client[] = [];

  beforeAll(async () => {
    server = await startPostgres(shared.bin, {
      maxConnections: 3,
      extra: ["-c superuser_reserved_connections=0"],
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(hogs.map((c) => c.end().catch(() => {})));
    await server?.stop();
  });

  it("fails at once with a message naming max_connections, and its value once the store has seen it", async () => {
    const url = server.url("postgres");
    const store = await openPgStore(url);
    await store.migrate(); // reads max_connections; keeps one idle pooled connection
    for (let i = 0; i < 2; i++) {
      const hog = new pg.Client({ connectionString: url });
      await hog.connect();
      hogs.push(hog);
    }
    // The pooled connection serves one query; two at once need a second connection.
    const results = await Promise.allSettled([store.counts(), store.counts()]);
    const failure = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
    expect(failure?.reason).toBeInstanceOf(TaskStoreError);
    expect(String(failure?.reason.message)).toMatch(
      /its max_connections \(3\) is reached \(sorry, too many clients already\)/,
    );
    expect(String(failure?.reason.message)).toMatch(/lower `poolSize`/);
    await store.close();
    // Its slot is free again: fill it, so a new store finds the server full from the start.
    const hog = new pg.Client({ connectionString: url });
    await hog.connect();
    hogs.push(hog);

    const fresh = await openPgStore(url);
    const first = await fresh.migrate().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TaskStoreError);
    expect((first as Error).message).toMatch(/no connection slot left: its max_connections is reached/);
    await fresh.close();
  });
});
