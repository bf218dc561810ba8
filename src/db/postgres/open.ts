import { InvalidTaskBackend } from "../../errors.ts";
import { loadPg } from "./driver.ts";
import { validateSchemaName } from "./schema.ts";
import { PgStore, type PgStoreOptions } from "./store.ts";
import { redactUrl, resolveTarget } from "./url.ts";

/**
 * Opens a PostgreSQL store for a postgres:// or postgresql:// URL (through `openStore`). Nothing
 * connects yet: the first operation does, and migrates the schema first.
 * @throws InvalidTaskBackend naming the option for a bad option or a malformed URL.
 * @throws TaskStoreError when `pg` is not installed.
 */
export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
  const schema = validateSchemaName(options.schema ?? "tasklane");
  for (const [name, value, min] of [
    ["poolSize", options.poolSize, 1],
    ["reconnectForMs", options.reconnectForMs, 0],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
      throw new InvalidTaskBackend(`${name}: must be a whole number >= ${min} (got ${String(value)})`);
    }
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== "function") {
    throw new InvalidTaskBackend("onEvent: must be a function");
  }
  const pg = await loadPg(redactUrl(url));
  return new PgStore(pg, resolveTarget(pg, url), schema, options);
}
