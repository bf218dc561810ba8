import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPgStore } from "../../../src/db/postgres/open.ts";
import type { PgStore } from "../../../src/db/postgres/store.ts";
import { spawnTs } from "../../support/children.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { describeWhere } from "../../support/where.ts";
import { newRow } from "./fixtures.ts";

const server = postgresTestServer();
const claimLoop = fileURLToPath(new URL("../../fixtures/postgres/claim-loop.ts", import.meta.url));
const ROWS = 5000;

describeWhere(server.skip === undefined)("SKIP LOCKED claims from three processes", () => {
  let url = "";
  let store: PgStore;

  beforeAll(async () => {
    url = await server.freshDatabase();
    store = await openPgStore(url);
    await store.migrate();
    // 5,000 rows in a few big inserts (enqueue one by one would be the slow part of the test).
    for (let i = 0; i < ROWS; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) => store.enqueue(newRow({ args: [i + j], priority: (i + j) % 7 }))),
      );
    }
  }, 120_000);

  afterAll(async () => {
    await store?.close();
  });

  it("claims each of 5,000 rows exactly once, and leaves none READY or RUNNING", async () => {
    const workers = ["machine-a", "machine-b", "machine-c"].map((id) => spawnTs(claimLoop, [url, id, "10"]));
    await Promise.all(workers.map((w) => w.waitFor((line) => line === "ready")));
    for (const w of workers) w.process.stdin?.write("go\n");
    const codes = await Promise.all(workers.map((w) => w.exited()));
    expect(codes, workers.map((w) => w.stderr()).join("\n")).toEqual([0, 0, 0]);

    const claimedBy = new Map<string, string[]>();
    workers.forEach((w, i) => {
      expect(w.lines.at(-1)).toBe("done");
      for (const id of w.lines.slice(1, -1).filter(Boolean)) {
        claimedBy.set(id, [...(claimedBy.get(id) ?? []), `worker ${i}`]);
      }
    });
    const twice = [...claimedBy].filter(([, by]) => by.length > 1);
    expect(twice).toEqual([]);
    expect(claimedBy.size).toBe(ROWS);

    expect(await store.counts()).toEqual([{ queueName: "default", status: "SUCCESSFUL", count: ROWS }]);
    let after: string | undefined;
    let seen = 0;
    do {
      const page = await store.list({ limit: 500, ...(after ? { after } : {}) });
      for (const row of page.rows) {
        expect(row.workerIds).toHaveLength(1);
        expect(row.returnValue).toBe(row.workerIds[0]);
        expect(claimedBy.has(row.id)).toBe(true);
      }
      seen += page.rows.length;
      after = page.next ?? undefined;
    } while (after);
    expect(seen).toBe(ROWS);
  }, 120_000);
});
