import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openStore } from "../../../src/db/open-store.ts";
import { SCHEMA_VERSION } from "../../../src/db/postgres/schema.ts";
import { TaskStoreError } from "../../../src/errors.ts";
import { spawnTs } from "../../support/children.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { describeWhere } from "../../support/where.ts";
import { newRow } from "./fixtures.ts";

const server = postgresTestServer();
const migrateChild = fileURLToPath(new URL("../../fixtures/postgres/migrate-on-cue.ts", import.meta.url));

describeWhere(server.skip === undefined)("PostgreSQL migrations", () => {
  let url = "";
  let sql: pg.Client;

  beforeAll(async () => {
    url = await server.freshDatabase();
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
  });

  const tables = async (schema: string) =>
    (await sql.query("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", [schema])).rows.map(
      (r) => r.tablename as string,
    );

  it("five processes migrating one schema at the same moment all succeed, and each step is applied once", async () => {
    const children = Array.from({ length: 5 }, () => spawnTs(migrateChild, [url, "raced"]));
    await Promise.all(children.map((c) => c.waitFor((l) => l === "ready")));
    for (const c of children) c.process.stdin?.write("go\n");
    const codes = await Promise.all(children.map((c) => c.exited()));
    expect(codes, children.map((c) => c.stderr()).join("\n")).toEqual([0, 0, 0, 0, 0]);
    for (const c of children) expect(c.lines).toContain("migrated");
    const steps = await sql.query("SELECT version FROM raced.tasklane_migrations ORDER BY version");
    // Every step once: a step applied twice would have failed its CREATE TABLE or its INSERT.
    expect(steps.rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    expect(await tables("raced")).toEqual(["tasklane_migrations", "tasklane_schedule_slots", "tasklane_tasks"]);
  });

  it("keeps the same checks as SQLite: priority -100..100, max_attempts >= 1, the four statuses", async () => {
    const store = await openStore(url, { schema: "checks" });
    await store.migrate();
    await expect(store.enqueue(newRow({ priority: -101 }))).rejects.toThrow(/check constraint/);
    await expect(store.enqueue(newRow({ maxAttempts: 0 }))).rejects.toThrow(/check constraint/);
    const row = await store.enqueue(newRow());
    await expect(sql.query("UPDATE checks.tasklane_tasks SET status = 'DONE' WHERE id = $1", [row.id])).rejects.toThrow(
      /check constraint/,
    );
    const indexes = await sql.query(
      "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'checks' AND indexdef LIKE '% WHERE %' ORDER BY 1",
    );
    expect(indexes.rows.map((r) => r.indexname)).toEqual([
      "tasklane_tasks_finished",
      "tasklane_tasks_leases",
      "tasklane_tasks_ready",
    ]);
    await store.close();
  });

  it("refuses a schema migrated by a newer tasklane, naming both versions, and changes nothing", async () => {
    const store = await openStore(url, { schema: "newer" });
    await store.migrate();
    await store.close();
    await sql.query("INSERT INTO newer.tasklane_migrations VALUES (7, 'from the future', now())");
    const before = await tables("newer");
    const again = await openStore(url, { schema: "newer" });
    const error = await again.migrate().catch((e: unknown) => e);
    await again.close();
    expect(error).toBeInstanceOf(TaskStoreError);
    expect((error as Error).message).toContain(
      `schema "newer" is at version 7, newer than this tasklane knows (${SCHEMA_VERSION})`,
    );
    expect(await tables("newer")).toEqual(before);
  });

  it("refuses a schema that holds other tables but no tasklane migrations, and touches nothing in it", async () => {
    await sql.query("CREATE SCHEMA foreign_app; CREATE TABLE foreign_app.orders (id int)");
    const store = await openStore(url, { schema: "foreign_app" });
    const error = await store.enqueue(newRow()).catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(TaskStoreError);
    expect((error as Error).message).toMatch(
      /schema "foreign_app" exists and holds other tables .* not a tasklane schema/,
    );
    expect(await tables("foreign_app")).toEqual(["orders"]);
  });

  it("keeps two schemas in one database apart", async () => {
    const a = await openStore(url, { schema: "app_a" });
    const b = await openStore(url, { schema: "app_b" });
    const row = await a.enqueue(newRow());
    expect(await b.get(row.id)).toBeNull();
    expect(await b.counts()).toEqual([]);
    expect((await a.get(row.id))?.status).toBe("READY");
    await Promise.all([a.close(), b.close()]);
  });
});
