import { loadPg } from "./driver.ts";
import { validateSchemaName } from "./schema.ts";
import { PgStore, type PgStoreOptions } from "./store.ts";
import { redactUrl, resolveTarget } from "./url.ts";

/**
 * Opens a PostgreSQL store for a postgres:// or postgresql:// URL. Nothing connects yet: the first
 * operation does, and migrates the schema first.
 */
export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
  const schema = validateSchemaName(options.schema ?? "tasklane");
  for (const [name, value, min] of [
    ["poolSize", options.poolSize, 1],
    ["reconnectForMs", options.reconnectForMs, 0],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      throw new TypeError(`${name}: must be an integer >= ${min}, got ${String(value)}`);
    }
  }
  const pg = await loadPg(redactUrl(url));
  return new PgStore(pg, resolveTarget(pg, url), schema, options);
}
