import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { findPostgresBin, type PostgresServer, startPostgres } from "./postgres-server.ts";

/*
 * vitest globalSetup: one throwaway PostgreSQL server for the whole run (each test file then makes
 * its own database on it, see postgres.ts). Under CI=true a missing server fails the run; locally
 * the PostgreSQL tests are skipped, and the reason is printed here and again under the summary
 * (count-reporter.ts reads SKIP_NOTE).
 */

export const SKIP_NOTE = ".artifacts/skip-notes.txt";

declare module "vitest" {
  export interface ProvidedContext {
    /** The shared server's bin directory and socket directory, or why there is none. */
    postgres: { bin: string; socketDir: string } | { skip: string };
  }
}

let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  rmSync(SKIP_NOTE, { force: true });
  const found = findPostgresBin();
  if ("missing" in found) {
    if (process.env.CI === "true") {
      throw new Error(`PostgreSQL tests cannot run under CI=true: ${found.missing}`);
    }
    const note = `PostgreSQL tests skipped: ${found.missing}`;
    console.warn(`\n${note}\n`);
    mkdirSync(".artifacts", { recursive: true });
    writeFileSync(SKIP_NOTE, `${note}\n`);
    project.provide("postgres", { skip: found.missing });
    return async () => {};
  }
  // A server that is installed but does not boot is a failure, never a skip.
  server = await startPostgres(found.bin);
  project.provide("postgres", { bin: found.bin, socketDir: server.socketDir });
  return async () => {
    await server?.stop();
  };
}
