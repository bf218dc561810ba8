import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

/*
 * What a PostgreSQL test file uses: the shared server from postgres-global-setup.ts and a database
 * of its own on it (so files run in parallel without seeing each other's rows).
 *
 *   const server = postgresTestServer();
 *   describeWhere(server.skip === undefined)("…", () => { let url; beforeAll(async () => { url = await server.freshDatabase(); }); … });
 */

export interface PostgresTestServer {
  /** Why the PostgreSQL tests are skipped here (printed once), or undefined when there is a server. */
  readonly skip: string | undefined;
  readonly bin: string;
  readonly socketDir: string;
  /** A URL as the superuser over the socket. */
  url(database: string): string;
  /** Creates an empty database with a unique name and returns its URL. */
  freshDatabase(): Promise<string>;
  /** Drops a database made by freshDatabase (closing whatever is still connected to it). */
  dropDatabase(url: string): Promise<void>;
  /** Runs one statement on the `postgres` maintenance database. */
  admin(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

let warned = false;

export function postgresTestServer(): PostgresTestServer {
  const provided = inject("postgres");
  if ("skip" in provided) {
    if (!warned) console.warn(`PostgreSQL tests skipped: ${provided.skip}`);
    warned = true;
    const unavailable = () => Promise.reject(new Error(`no PostgreSQL server: ${provided.skip}`));
    return {
      skip: provided.skip,
      bin: "",
      socketDir: "",
      url: () => "",
      freshDatabase: unavailable,
      dropDatabase: unavailable,
      admin: unavailable,
    };
  }
  const { bin, socketDir } = provided;
  const url = (database: string) => `postgres:///${database}?host=${encodeURIComponent(socketDir)}&user=postgres`;
  const admin = async (text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: url("postgres") });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  };
  return {
    skip: undefined,
    bin,
    socketDir,
    url,
    admin,
    async freshDatabase() {
      const name = `t_${process.pid}_${randomBytes(4).toString("hex")}`;
      await admin(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async dropDatabase(databaseUrl) {
      const name = /^postgres:\/\/\/(t_[0-9a-z_]+)\?/.exec(databaseUrl)?.[1];
      if (name === undefined) throw new Error(`not a URL from freshDatabase: ${databaseUrl}`);
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * A pg pool whose `end()` resolves once its connections are closed: pg-pool's own resolves once
 * they are released, while the last ones may still be closing, and a `DROP DATABASE … WITH
 * (FORCE)` right after it then terminates them, which reaches the test as an uncaught error.
 */
export function closablePool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  const closed: Promise<void>[] = [];
  pool.on("connect", (client) => {
    closed.push(new Promise((resolve) => client.once("end", () => resolve())));
  });
  const end = pool.end.bind(pool);
  pool.end = (async () => {
    await end();
    await Promise.all(closed);
  }) as pg.Pool["end"];
  return pool;
}
