import type Pg from "pg";
import { TaskStoreError } from "../../errors.ts";

/** The `pg` module as its CommonJS default export presents it. */
export type PgModule = typeof Pg;

let loading: Promise<PgModule> | undefined;

/**
 * Imports `pg` on first use: it is an optional peer dependency, so an application on SQLite never
 * needs it installed, and one on PostgreSQL gets a message saying what to install.
 */
export function loadPg(location: string): Promise<PgModule> {
  loading ??= import("pg").then(
    (mod) => ((mod as unknown as { default?: PgModule }).default ?? mod) as PgModule,
    (error: unknown) => {
      loading = undefined;
      throw new TaskStoreError(
        `The postgres: database backend (${location}) needs the optional package pg: npm install pg@^8. It could not be loaded: ${
          (error as Error).message
        }`,
      );
    },
  );
  return loading;
}
