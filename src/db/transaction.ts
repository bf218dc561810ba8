import { AsyncLocalStorage } from "node:async_hooks";
import type { SqlExecutor } from "./store.ts";

// One storage per process, found through a registered symbol, like the task scope: the app may load
// another copy of tasklane than the backend it enqueues on.
const key = Symbol.for("tasklane.transaction");
const holder = globalThis as { [key]?: AsyncLocalStorage<SqlExecutor> };
holder[key] ??= new AsyncLocalStorage<SqlExecutor>();
const storage: AsyncLocalStorage<SqlExecutor> = holder[key];

/**
 * Runs `fn` so that every task enqueued inside it on a PostgreSQL `database` backend is written
 * through `executor`, the application's own connection in its open transaction: the task (and the
 * notification that wakes workers) then becomes visible only when that transaction commits, and a
 * rollback leaves nothing behind. A `pg` Client or PoolClient is an executor as it is:
 *
 * ```ts
 * const client = await pool.connect();
 * await client.query("BEGIN");
 * await client.query("INSERT INTO orders (id) VALUES ($1)", [orderId]);
 * await withTransaction(client, () => processOrder.enqueue(orderId));
 * await client.query("COMMIT"); // the order and its task, together
 * ```
 */
export function withTransaction<T>(executor: SqlExecutor, fn: () => T): T {
  if (typeof executor?.query !== "function") {
    throw new TypeError(
      "withTransaction(executor, fn): executor must have a query(text, values) method (a pg Client).",
    );
  }
  return storage.run(executor, fn);
}

/** The executor of the enclosing `withTransaction`, if any. */
export function currentExecutor(): SqlExecutor | undefined {
  return storage.getStore();
}
