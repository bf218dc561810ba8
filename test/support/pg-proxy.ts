import type { AddressInfo } from "node:net";
import { createConnection, createServer, type Socket } from "node:net";
import { join } from "node:path";

/*
 * A TCP proxy in front of the test server's unix socket, for losing connections on cue: `cutAfter`
 * lets the next statement whose bytes contain a marker (a prepared statement's name) run and
 * COMMIT on the server, then drops its answer and both sockets. The client sees exactly what a
 * network failure after COMMIT looks like: an error, with the outcome unknown to it.
 */

export interface PgProxy {
  /** A URL through the proxy. */
  url(database: string): string;
  /** Cuts the connection that sends `marker` next, once the server has answered it in full. */
  cutAfter(marker: string): Promise<void>;
  /** Drops every connection now. */
  dropAll(): void;
  close(): Promise<void>;
}

/** ReadyForQuery: 'Z', length 5, then the transaction state; sent after a statement's COMMIT. */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

export async function startProxy(socketDir: string): Promise<PgProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let armed: { marker: Buffer; done: () => void } | undefined;
  const server = createServer((client) => {
    const upstream = createConnection(join(socketDir, ".s.PGSQL.5432"));
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    let cutting: (() => void) | undefined;
    let held = Buffer.alloc(0);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      if (armed && chunk.includes(armed.marker)) {
        cutting = armed.done;
        armed = undefined;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!cutting) {
        client.write(chunk);
        return;
      }
      held = Buffer.concat([held, chunk]);
      if (held.includes(READY_FOR_QUERY)) {
        const done = cutting;
        cutting = undefined;
        drop();
        done();
      }
    });
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const dropAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    cutAfter(marker) {
      return new Promise<void>((resolve) => {
        armed = { marker: Buffer.from(marker), done: resolve };
      });
    },
    dropAll,
    async close() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
