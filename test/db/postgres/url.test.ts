import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../../src/db/open-store.ts";
import { openPgStore } from "../../../src/db/postgres/open.ts";
import { InvalidTaskBackend, TaskStoreError } from "../../../src/errors.ts";
import { postgresTestServer } from "../../support/postgres.ts";
import { describeWhere } from "../../support/where.ts";
import { newRow } from "./fixtures.ts";

const server = postgresTestServer();
const SECRET = "hunter2-s3cret";
const saved = { ...process.env };

afterEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith("PG")) delete process.env[key];
  Object.assign(process.env, saved);
});

describe("postgres:// URLs: the location never carries the password", () => {
  it.each([
    [`postgres://app:${SECRET}@db.example:5433/shop`, "postgres://app@db.example:5433/shop"],
    [`postgresql://app:${SECRET}@/shop?host=/var/run/postgresql`, "postgres://app@/shop?host=/var/run/postgresql"],
    [`postgres://db.example/shop?user=app&password=${SECRET}`, "postgres://app@db.example:5432/shop"],
    ["postgres://app@[::1]:6543/shop", "postgres://app@[::1]:6543/shop"],
  ])("%s → %s", async (url, location) => {
    const store = await openStore(url);
    expect(store.location).toBe(location);
    expect(store.dialect).toBe("postgres");
    await store.close();
  });

  it("fills what the URL leaves out from PGHOST, PGPORT, PGUSER, PGDATABASE and PGPASSWORD", async () => {
    Object.assign(process.env, {
      PGHOST: "/run/pg",
      PGPORT: "5499",
      PGUSER: "envuser",
      PGDATABASE: "envdb",
      PGPASSWORD: SECRET,
    });
    const store = await openPgStore("postgres://");
    expect(store.location).toBe("postgres://envuser@/envdb?host=/run/pg&port=5499");
    await store.close();
    const partly = await openPgStore("postgresql://other@db.example/");
    expect(partly.location).toBe("postgres://other@db.example:5499/envdb");
    await partly.close();
  });

  it("rejects a malformed URL without quoting its password", async () => {
    const error = await openPgStore(`postgres://app:${SECRET}@db.example:99999/shop`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTaskBackend);
    expect((error as Error).message).toMatch(
      /^url: postgres:\/\/app:\*\*\*@db.example:99999\/shop: not a valid PostgreSQL URL/,
    );
    expect((error as Error).message).not.toContain(SECRET);
  });

  it("validates the schema option as an identifier", async () => {
    for (const schema of ["Tasks", "1st", "a-b", 'x"; DROP TABLE y; --', "", "a".repeat(49)]) {
      await expect(openPgStore("postgres://", { schema })).rejects.toThrow(
        /^schema: must be a lower-case SQL identifier/,
      );
    }
    await expect(openPgStore("postgres://", { poolSize: 0 })).rejects.toThrow(
      "poolSize: must be a whole number >= 1 (got 0)",
    );
  });
});

describeWhere(server.skip === undefined)("postgres:// URLs against a real server", () => {
  let database = "";
  beforeAll(async () => {
    database = /^postgres:\/\/\/([^?]+)/.exec(await server.freshDatabase())?.[1] ?? "";
  });

  async function roundTrip(url: string): Promise<string> {
    const store = await openPgStore(url);
    try {
      const row = await store.enqueue(newRow());
      expect((await store.get(row.id))?.status).toBe("READY");
      return store.location;
    } finally {
      await store.close();
    }
  }

  it("connects over a unix socket given as ?host= (user and password in the URL; the server trusts the socket)", async () => {
    const location = await roundTrip(`postgresql://postgres:${SECRET}@/${database}?host=${server.socketDir}`);
    expect(location).toBe(`postgres://postgres@/${database}?host=${server.socketDir}`);
  });

  it("connects with nothing in the URL but the scheme, the rest from the PG* environment", async () => {
    Object.assign(process.env, { PGHOST: server.socketDir, PGUSER: "postgres", PGDATABASE: database });
    const location = await roundTrip("postgres://");
    expect(location).toBe(`postgres://postgres@/${database}?host=${server.socketDir}`);
  });

  it("names the location, not the password, when the database does not exist", async () => {
    process.env.PGPASSWORD = `${SECRET}-env`;
    const store = await openPgStore(`postgres://postgres:${SECRET}@/no_such_db?host=${server.socketDir}`);
    const error = await store.migrate().catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(TaskStoreError);
    const message = (error as Error).message;
    expect(message).toContain(`PostgreSQL postgres://postgres@/no_such_db?host=${server.socketDir}: migrate:`);
    expect(message).toMatch(/database "no_such_db" does not exist/);
    expect(message).not.toContain(SECRET);
  });

  it("fails at once, naming the socket, when nothing listens there", async () => {
    const store = await openPgStore(`postgres://postgres:${SECRET}@/x?host=/nonexistent-dir`);
    const error = await store.get("00000000-0000-4000-8000-000000000000").catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(TaskStoreError);
    expect((error as Error).message).toMatch(
      /PostgreSQL postgres:\/\/postgres@\/x\?host=\/nonexistent-dir: migrate: connect ENOENT/,
    );
    expect((error as Error).message).not.toContain(SECRET);
  });
});
