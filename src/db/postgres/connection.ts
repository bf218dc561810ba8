import { setTimeout as sleep } from "node:timers/promises";
import type { Pool, PoolClient } from "pg";
import { TaskStoreError } from "../../errors.ts";
import { activeLogger } from "../../log.ts";
import type { PgModule } from "./driver.ts";
import { isTransient, storeError } from "./failures.ts";
import type { PgTarget } from "./url.ts";

/** What the store tells its host (the worker prints `message`) about its connections. */
export interface PgStoreEvent {
  readonly kind: "connection-lost" | "reconnected" | "listen-lost" | "listen-resumed";
  /** A log line: what happened, where, and what the store does about it. */
  readonly message: string;
}

export interface ConnectionOptions {
  readonly poolSize: number;
  readonly reconnectForMs: number;
  readonly onEvent: ((event: PgStoreEvent) => void) | undefined;
}

export type { PoolClient };
export type Queryable = Pick<Pool, "query">;

/** Something a retried operation learns: whether an earlier try may have reached the server. */
export interface Attempt {
  /** True from the second try on: the previous one failed with its outcome unknown. */
  readonly retry: boolean;
}

/**
 * The store's pool and its retry rule. An operation that fails because the connection went away is
 * tried again with growing pauses for up to `reconnectForMs` (each operation decides, through
 * `attempt.retry`, how to make a second try safe). Before the first connection ever succeeded,
 * nothing is retried: a wrong URL fails at once instead of after the whole budget.
 */
export class PgConnection {
  readonly pool: Pool;
  private everConnected = false;
  private down = false;
  private downSince = 0;
  private closed = false;
  /**
   * The server process ids of this pool's connections: a notification sent by one of them came from
   * this store's own statement, whose listeners were already called when it returned.
   */
  readonly ownPids = new Set<number>();
  /** The server's max_connections, read at migration, for the "too many connections" message. */
  maxConnections: number | undefined;

  readonly target: PgTarget;
  private readonly options: ConnectionOptions;

  constructor(pg: PgModule, target: PgTarget, options: ConnectionOptions) {
    this.target = target;
    this.options = options;
    this.pool = new pg.Pool({
      connectionString: target.connectionString,
      max: options.poolSize,
      idleTimeoutMillis: 10_000,
      // Idle pooled connections do not keep the process alive: an enqueuing script exits when done.
      allowExitOnIdle: true,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      application_name: "tasklane",
      options: sessionOptions(),
    });
    // An idle pooled connection that the server closes (a restart) is reported here; without a
    // listener, pg's pool would crash the process.
    this.pool.on("error", (error) => this.lost(error));
    this.pool.on("connect", (client) => {
      const pid = (client as unknown as { processID?: number }).processID;
      if (pid !== undefined) this.ownPids.add(pid);
    });
    this.pool.on("remove", (client) => {
      const pid = (client as unknown as { processID?: number }).processID;
      if (pid !== undefined) this.ownPids.delete(pid);
    });
  }

  get location(): string {
    return this.target.location;
  }

  /** Runs `fn` (a single statement or a transaction), retrying it while the connection is lost. */
  async run<T>(operation: string, fn: (attempt: Attempt) => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let tries = 0; ; tries++) {
      if (this.closed) throw new TaskStoreError(`PostgreSQL ${this.location}: ${operation}: the store is closed`);
      try {
        const result = await fn({ retry: tries > 0 });
        this.up();
        return result;
      } catch (error) {
        if (!isTransient(error) || !this.everConnected || this.closed) throw this.fail(operation, error);
        this.lost(error);
        if (Date.now() - started >= this.options.reconnectForMs) {
          const cause = this.fail(operation, error).message;
          throw new TaskStoreError(
            `${cause} (the connection did not come back within reconnectForMs = ${this.options.reconnectForMs} ms)`,
          );
        }
        // 50 ms doubling to 2 s, with jitter so many workers do not reconnect in step.
        await sleep(Math.min(2000, 50 * 2 ** tries) * (0.5 + Math.random() / 2));
      }
    }
  }

  /** A pooled client for a transaction; `release(error)` discards it when it broke. */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      broken = error as Error;
      await client.query("ROLLBACK").then(
        () => {
          broken = undefined;
        },
        () => {},
      );
      throw error;
    } finally {
      client.release(broken);
    }
  }

  fail(operation: string, error: unknown): TaskStoreError {
    return storeError(this.location, operation, error, this.target.password, this.maxConnections);
  }

  emit(event: PgStoreEvent): void {
    const message = event.message;
    if (this.options.onEvent) {
      try {
        this.options.onEvent(event);
      } catch {
        // A throwing log hook must not turn a recovered connection into a failed operation.
      }
    } else {
      activeLogger()?.error(message);
    }
  }

  private lost(error: unknown): void {
    if (this.closed || this.down || !this.everConnected) return;
    this.down = true;
    this.downSince = Date.now();
    const reason = this.fail("connection", error).message;
    this.emit({ kind: "connection-lost", message: `${reason}; reconnecting with backoff` });
  }

  private up(): void {
    this.everConnected = true;
    if (!this.down) return;
    this.down = false;
    this.emit({
      kind: "reconnected",
      message: `PostgreSQL ${this.location}: connection back after ${Date.now() - this.downSince} ms`,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => {});
  }
}

/**
 * The claim must walk the ready index in claim order and stop after n rows. On a table the planner
 * has no statistics for yet (a new queue, or a burst before autovacuum's next ANALYZE) it picks a
 * bitmap scan of every ready row plus a sort instead: 20 ms per claim at 5,000 ready rows rather
 * than 0.1 ms (measured), growing with the backlog. None of the store's statements needs a bitmap
 * scan, so the store's own sessions do without (the application's are untouched). PGOPTIONS is
 * kept; `?options=` in the URL replaces this (pg lets the URL win).
 */
function sessionOptions(): string {
  return [process.env.PGOPTIONS, "-c enable_bitmapscan=off"].filter(Boolean).join(" ");
}
