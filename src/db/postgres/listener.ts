import type pg from "pg";
import type { PgStoreEvent } from "./connection.ts";
import type { PgModule } from "./driver.ts";
import type { PgTarget } from "./url.ts";

type Client = pg.Client;
/** A notification: its payload and the server process (backend pid) that sent it. */
type Handler = (payload: string, senderPid: number) => void;

export interface ListenerHooks {
  /** After a reconnect: notifications sent while it was down are gone, so everyone should look again. */
  readonly onResume: () => void;
  readonly emit: (event: PgStoreEvent) => void;
  readonly describe: (error: unknown) => string;
}

/**
 * The store's one LISTEN connection (LISTEN is per session, so it cannot be a pooled one). It is
 * opened on the first subscription, LISTENs to exactly the channels somebody subscribed to, and
 * reconnects with backoff for as long as the store is open. Its socket is unref'd while idle:
 * waiting for notifications never keeps the process alive by itself.
 */
export class PgListener {
  private readonly handlers = new Map<string, Set<Handler>>();
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private lostAt = 0;
  private closed = false;
  private inFlight = 0;

  private readonly pg: PgModule;
  private readonly target: PgTarget;
  private readonly hooks: ListenerHooks;

  constructor(pg: PgModule, target: PgTarget, hooks: ListenerHooks) {
    this.pg = pg;
    this.target = target;
    this.hooks = hooks;
  }

  /** Calls `handler` with each payload on `channel`; resolves once the LISTEN is in effect (or failed). */
  subscribe(channel: string, handler: Handler): { ready: Promise<void>; unsubscribe: () => void } {
    let set = this.handlers.get(channel);
    const first = set === undefined;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    const ready = first ? this.listen(channel) : (this.connecting ?? Promise.resolve());
    const unsubscribe = () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(channel);
      const client = this.client;
      if (client && !this.connecting) this.command(client, `UNLISTEN ${quote(channel)}`).catch(() => {});
    };
    return { ready, unsubscribe };
  }

  /** True while the connection is up and listening. */
  get listening(): boolean {
    return this.client !== undefined && this.connecting === undefined;
  }

  private async listen(channel: string): Promise<void> {
    if (this.closed) return;
    if (!this.client && !this.connecting && !this.retryTimer) {
      this.connect();
    }
    if (this.connecting) {
      // connect() LISTENs to every channel registered when it finishes, this one included.
      await this.connecting;
      return;
    }
    if (this.client) await this.command(this.client, `LISTEN ${quote(channel)}`).catch(() => {});
  }

  private connect(): void {
    const client = new this.pg.Client({ connectionString: this.target.connectionString, keepAlive: true });
    this.client = client;
    let gone = false;
    const onGone = (error: unknown) => {
      if (gone) return;
      gone = true;
      this.lost(client, error);
    };
    client.on("error", onGone);
    client.on("end", () => onGone(new Error("Connection ended")));
    client.on("notification", (message) => {
      const handlers = this.handlers.get(message.channel);
      if (handlers) for (const handler of [...handlers]) handler(message.payload ?? "", message.processId);
    });
    this.connecting = (async () => {
      try {
        await client.connect();
        for (const channel of this.handlers.keys()) await this.command(client, `LISTEN ${quote(channel)}`);
        if (this.inFlight === 0) socketOf(client)?.unref();
      } catch (error) {
        onGone(error);
        return;
      } finally {
        this.connecting = undefined;
      }
      if (this.failures > 0) {
        this.failures = 0;
        this.hooks.emit({
          kind: "listen-resumed",
          message: `PostgreSQL ${this.target.location}: LISTEN connection back after ${Date.now() - this.lostAt} ms`,
        });
        this.hooks.onResume();
      }
    })();
  }

  /**
   * A LISTEN or UNLISTEN, with the socket ref'd while it is in flight: a caller awaiting it (e.g.
   * `whenListening()`) keeps the process alive; only the idle wait for notifications does not.
   */
  private async command(client: Client, sql: string): Promise<void> {
    this.inFlight++;
    socketOf(client)?.ref();
    try {
      await client.query(sql);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.connecting === undefined) socketOf(client)?.unref();
    }
  }

  private lost(client: Client, error: unknown): void {
    if (this.client === client) this.client = undefined;
    client.end().catch(() => {});
    if (this.closed) return;
    if (this.failures === 0) {
      this.lostAt = Date.now();
      this.hooks.emit({
        kind: "listen-lost",
        message: `${this.hooks.describe(error)}; LISTEN connection lost, reconnecting with backoff (workers poll meanwhile)`,
      });
    }
    this.failures++;
    const delay = Math.min(5000, 100 * 2 ** (this.failures - 1)) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && this.handlers.size > 0) this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.handlers.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}

/** Channel names are built from the validated schema name; quoting keeps their case. */
function quote(channel: string): string {
  return `"${channel.replace(/"/g, '""')}"`;
}

function socketOf(client: Client): { ref(): void; unref(): void } | undefined {
  return (client as unknown as { connection?: { stream?: { ref(): void; unref(): void } } }).connection?.stream;
}
