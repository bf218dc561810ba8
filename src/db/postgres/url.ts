import { InvalidTaskBackend } from "../../errors.ts";
import type { PgModule } from "./driver.ts";

/** What a postgres:// URL resolves to: the pg settings and a printable location without the password. */
export interface PgTarget {
  /** Passed to pg as it is, so its query parameters (`?host=/var/run/postgresql&user=app`, sslmode…) keep pg's meaning. */
  readonly connectionString: string;
  /** `postgres://user@host:port/database`, with the PG* environment and pg's defaults filled in; never the password. */
  readonly location: string;
  /** The password in effect (from the URL or PGPASSWORD), to scrub from any message; "" when none. */
  readonly password: string;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Resolves the URL the way pg will (its own parser, then PGHOST, PGPORT, PGUSER, PGPASSWORD,
 * PGDATABASE for what the URL leaves out, then its defaults) by building a Client, which does not
 * connect. A malformed URL gets a message of ours: pg's would quote the URL, password included.
 */
export function resolveTarget(pg: PgModule, url: string): PgTarget {
  let client: InstanceType<PgModule["Client"]>;
  try {
    client = new pg.Client({ connectionString: url });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidTaskBackend(
      `url: ${redactUrl(url)}: not a valid PostgreSQL URL (${scrub(reason, url)}); expected postgres://user:password@host:port/database`,
    );
  }
  const params = client as unknown as {
    user?: string;
    host?: string;
    port?: number;
    database?: string;
    password?: unknown;
  };
  const host = params.host ?? "localhost";
  const port = params.port ?? 5432;
  const user = params.user ? `${encodeURIComponent(params.user)}@` : "";
  const database = encodeURIComponent(params.database ?? "");
  const location = host.startsWith("/")
    ? `postgres://${user}/${database}?host=${host}${port === 5432 ? "" : `&port=${port}`}`
    : `postgres://${user}${host.includes(":") ? `[${host}]` : host}:${port}/${database}`;
  const password = typeof params.password === "string" ? params.password : "";
  return { connectionString: url, location, password };
}

/** The URL with any password (user:password@ or ?password=) replaced, for a message about a URL that did not parse. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/?#]*):[^@/?#]*@/i, "$1:***@").replace(/([?&]password=)[^&#]*/gi, "$1***");
}

/** Removes every trace of `secret` (raw and URL-encoded) from a message. */
export function scrub(message: string, secret: string): string {
  if (secret === "") return message;
  let out = message.split(secret).join("***");
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) out = out.split(encoded).join("***");
  return redactUrl(out);
}
