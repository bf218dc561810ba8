import { TaskStoreError } from "../../errors.ts";
import type { TaskProgress } from "../../progress.ts";
import type { TaskError } from "../../task-error.ts";
import type {
  CancelOutcome,
  Claim,
  ClaimRequest,
  Expired,
  FinishedTimes,
  ListPage,
  ListRequest,
  MinuteCount,
  NewTaskRow,
  PruneRequest,
  ReenqueueOutcome,
  RenewResult,
  Settlement,
  SlotKey,
  SqlExecutor,
  TaskRow,
  TaskStore,
} from "../store.ts";
import * as claims from "./claims.ts";
import { wholeAtLeast } from "./claims.ts";
import { PgConnection, type PgStoreEvent } from "./connection.ts";
import * as dashboard from "./dashboard.ts";
import type { PgModule } from "./driver.ts";
import { EnqueueBatcher } from "./enqueue-batch.ts";
import { PgListener } from "./listener.ts";
import * as reads from "./reads.ts";
import { type PgRow, toRow } from "./rows.ts";
import { migrate } from "./schema.ts";
import * as slots from "./slots.ts";
import { type Channels, namesFor } from "./sql-names.ts";
import type { PgTarget } from "./url.ts";
import { FinishedWaits } from "./waits.ts";

/** Options of a PostgreSQL store (`options` of a `database` backend with a postgres:// URL). */
export interface PgStoreOptions {
  /**
   * The PostgreSQL schema holding tasklane's tables (created on first use). A lower-case SQL
   * identifier; give each application sharing a database its own.
   * @defaultValue "tasklane"
   */
  readonly schema?: string;
  /**
   * Connections in the store's pool. One LISTEN connection comes on top once something subscribes
   * (a worker, or a `wait()`). Pooled connections close after 10 s idle and never keep the process
   * alive. Every process with a store holds up to poolSize + 1 of the server's max_connections.
   * @defaultValue 4
   */
  readonly poolSize?: number;
  /**
   * How long an operation keeps retrying (with backoff) after the connection was lost, e.g. while
   * the server restarts, before it fails with TaskStoreError.
   * @defaultValue 30000
   */
  readonly reconnectForMs?: number;
  /** Told when a connection is lost and when it is back (the worker logs `event.message`). Default: tasklane's logger. */
  readonly onEvent?: (event: PgStoreEvent) => void;
}

/** The TaskStore on PostgreSQL through `pg`. See ../store.ts for the contract of each method. */
export class PgStore implements TaskStore {
  readonly dialect = "postgres" as const;
  readonly location: string;
  private readonly names: Channels;
  private readonly connection: PgConnection;
  private readonly listener: PgListener;
  private readonly waits: FinishedWaits;
  private readonly batcher: EnqueueBatcher;
  private readonly readyListeners = new Set<() => void>();
  private readyUnsubscribe: (() => void) | undefined;
  private readyListening: Promise<void> | undefined;
  private readyPending = false;
  private migrated: Promise<void> | undefined;
  private closed = false;

  constructor(pg: PgModule, target: PgTarget, schema: string, options: PgStoreOptions) {
    this.location = target.location;
    this.names = namesFor(schema);
    this.connection = new PgConnection(pg, target, {
      poolSize: options.poolSize ?? 4,
      reconnectForMs: options.reconnectForMs ?? 30_000,
      onEvent: options.onEvent,
    });
    this.listener = new PgListener(pg, target, {
      emit: (event) => this.connection.emit(event),
      describe: (error) => this.connection.fail("LISTEN", error).message,
      onResume: () => {
        // Notifications sent while the LISTEN connection was down are lost: look again.
        this.fireReady();
        this.waits.wakeAll();
      },
    });
    this.waits = new FinishedWaits(this.listener, this.names.finished, (id) => this.get(id));
    this.batcher = new EnqueueBatcher(this.connection, this.names);
  }

  /** The schema this store keeps its tables in. */
  get schema(): string {
    return this.names.schema;
  }

  migrate(): Promise<void> {
    this.migrated ??= migrate(this.connection, this.names.schema).catch((error: unknown) => {
      this.migrated = undefined;
      throw error;
    });
    return this.migrated;
  }

  async enqueue(row: NewTaskRow, via?: SqlExecutor): Promise<TaskRow> {
    await this.migrate();
    if (!via) {
      const stored =
        row.cancelled == null ? await this.batcher.enqueue(row) : await reads.enqueue(this.connection, this.names, row);
      if (stored.status === "READY") this.fireReady();
      return stored;
    }
    const { text, values } = reads.enqueueStatement(this.names, row);
    let result: { rows: Record<string, unknown>[] };
    try {
      result = await via.query(text, values);
    } catch (error) {
      throw this.connection.fail("enqueue (through the given SqlExecutor)", error);
    }
    const inserted = result.rows[0];
    if (!inserted) throw new TaskStoreError(`PostgreSQL ${this.location}: enqueue: the SqlExecutor returned no row`);
    return toRow(inserted as PgRow);
  }

  async enqueueSlot(slot: SlotKey, row: NewTaskRow): Promise<TaskRow | null> {
    if (row.cancelled != null) {
      throw new TaskStoreError(`PostgreSQL ${this.location}: enqueueSlot: a slot's task cannot be born cancelled`);
    }
    await this.migrate();
    const stored = await slots.enqueueSlot(this.connection, this.names, slot, row);
    if (stored !== null) this.fireReady();
    return stored;
  }

  async lastSlot(scheduleName: string): Promise<number | null> {
    await this.migrate();
    return slots.lastSlot(this.connection, this.names, scheduleName);
  }

  async get(id: string): Promise<TaskRow | null> {
    await this.migrate();
    return this.connection.run("get", () => reads.get(this.connection.pool, this.names, id));
  }

  async claim(request: ClaimRequest): Promise<Claim[]> {
    await this.migrate();
    return claims.claim(this.connection, this.names, request);
  }

  async renew(
    workerId: string,
    held: ReadonlyArray<{ id: string; token: string }>,
    leaseMs: number,
  ): Promise<RenewResult> {
    await this.migrate();
    return claims.renew(this.connection, this.names, workerId, held, leaseMs);
  }

  async settle(settlements: readonly Settlement[]): Promise<boolean[]> {
    await this.migrate();
    const { recorded, finished, retried } = await claims.settle(this.connection, this.names, settlements);
    if (retried) this.fireReady();
    // Waiters in this process need not wait for the notification's round trip.
    for (const id of finished) this.waits.wake(id);
    return recorded;
  }

  async progress(id: string, token: string, progress: TaskProgress): Promise<boolean> {
    await this.migrate();
    return claims.progress(this.connection, this.names, id, token, progress);
  }

  async reapExpired(reaperId: string, leaseMs: number, limit: number): Promise<Expired[]> {
    await this.migrate();
    return claims.reapExpired(this.connection, this.names, reaperId, leaseMs, limit);
  }

  async cancel(id: string, error: TaskError): Promise<CancelOutcome> {
    await this.migrate();
    return reads.cancel(this.connection, this.names, id, error);
  }

  async prune(request: PruneRequest): Promise<number> {
    await this.migrate();
    return reads.prune(this.connection, this.names, request);
  }

  async pruneSlots(request: { readonly minAgeMs: number; readonly dryRun: boolean }): Promise<number> {
    await this.migrate();
    return slots.pruneSlots(this.connection, this.names, request);
  }

  async list(request: ListRequest): Promise<ListPage> {
    await this.migrate();
    return reads.list(this.connection, this.names, request);
  }

  async counts(): ReturnType<TaskStore["counts"]> {
    await this.migrate();
    return reads.counts(this.connection, this.names);
  }

  async latestChange(): Promise<number> {
    await this.migrate();
    return dashboard.latestChange(this.connection, this.names);
  }

  async changedSince(since: number, limit: number): Promise<TaskRow[]> {
    wholeAtLeast("changedSince: limit", limit, 1);
    await this.migrate();
    return dashboard.changedSince(this.connection, this.names, since, limit);
  }

  async finishedPerMinute(since: number): Promise<MinuteCount[]> {
    await this.migrate();
    return dashboard.finishedPerMinute(this.connection, this.names, since);
  }

  async finishedTimings(since: number, limit: number): Promise<FinishedTimes[]> {
    wholeAtLeast("finishedTimings: limit", limit, 1);
    await this.migrate();
    return dashboard.finishedTimings(this.connection, this.names, since, limit);
  }

  async reenqueue(id: string, newId: string): Promise<ReenqueueOutcome> {
    await this.migrate();
    const outcome = await dashboard.reenqueue(this.connection, this.names, id, newId);
    if (typeof outcome === "object" && "row" in outcome) this.fireReady();
    return outcome;
  }

  /**
   * See TaskStore.onReady. The LISTEN connection never keeps the process alive: one that does
   * nothing but wait for a wake-up needs a handle of its own (a worker has its poll timer).
   */
  onReady(listener: () => void): () => void {
    if (this.closed) return () => {};
    this.readyListeners.add(listener);
    // Statements of this store call the listeners themselves when they return (as on SQLite, and
    // before the LISTEN may even be in effect); their notifications come back from our own server
    // processes and are skipped, so one enqueue is one wake-up.
    if (!this.readyUnsubscribe) {
      const subscription = this.listener.subscribe(this.names.ready, (_payload, sender) => {
        if (!this.connection.ownPids.has(sender)) this.fireReady();
      });
      this.readyUnsubscribe = subscription.unsubscribe;
      this.readyListening = subscription.ready;
    }
    return () => {
      this.readyListeners.delete(listener);
      if (this.readyListeners.size === 0 && this.readyUnsubscribe) {
        this.readyUnsubscribe();
        this.readyUnsubscribe = undefined;
        this.readyListening = undefined;
      }
    };
  }

  /**
   * Resolves once the LISTEN behind `onReady` is in effect (at once when nobody subscribed), or once
   * its first connection attempt failed (it keeps reconnecting; polls are the backstop). A worker
   * that claims after this misses no enqueue made between its subscription and its first claim.
   */
  whenListening(): Promise<void> {
    return this.readyListening ?? Promise.resolve();
  }

  /** A burst of enqueues is one wake-up per turn of the event loop, not one per notification. */
  private fireReady(): void {
    if (this.readyPending || this.readyListeners.size === 0) return;
    this.readyPending = true;
    setImmediate(() => {
      this.readyPending = false;
      for (const listener of [...this.readyListeners]) {
        try {
          listener();
        } catch {
          // One listener's fault must not keep the others from waking.
        }
      }
    });
  }

  async waitFinished(id: string, signal?: AbortSignal): Promise<TaskRow> {
    await this.migrate();
    return this.waits.wait(id, signal, this.location);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readyListeners.clear();
    this.waits.closeAll(new TaskStoreError(`PostgreSQL ${this.location}: the store was closed while waiting`));
    // The idle sockets are unref'd; closing them must still keep Node running until they are
    // closed, or a process whose last act is close() exits mid-way (exit 13: a promise never settled).
    const keepAlive = setInterval(() => {}, 60_000);
    try {
      await Promise.all([this.listener.close(), this.connection.close()]);
    } finally {
      clearInterval(keepAlive);
    }
  }
}
