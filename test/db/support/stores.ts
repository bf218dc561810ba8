/**
 * The dialects the store conformance suite runs on. Each entry sets up a place for fresh databases
 * once per test file; every test takes its own fresh database from it, so tests never share rows.
 * A new dialect adds one entry here (and its server start, if it needs one, in `setup`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../../src/db/open-store.ts";
import type { TaskStore } from "../../../src/db/store.ts";

export interface StoreHarness {
  /** A URL naming a brand-new, empty database (nothing created yet for SQLite). */
  freshUrl(): Promise<string>;
  /** Opens a store on `url`; `cleanup` closes it. */
  open(url: string): Promise<TaskStore>;
  /** A fresh database and a store on it. */
  fresh(): Promise<TaskStore>;
  /** Closes every store opened through the harness and removes the databases. */
  cleanup(): Promise<void>;
}

export interface StoreDialect {
  readonly dialect: "sqlite" | "postgres";
  setup(): Promise<StoreHarness>;
}

function harness(freshUrl: () => Promise<string>, release: () => Promise<void>): StoreHarness {
  const opened: TaskStore[] = [];
  const open = async (url: string) => {
    const store = await openStore(url);
    opened.push(store);
    return store;
  };
  return {
    freshUrl,
    open,
    fresh: async () => open(await freshUrl()),
    async cleanup() {
      await Promise.all(opened.map((store) => store.close()));
      await release();
    },
  };
}

const sqlite: StoreDialect = {
  dialect: "sqlite",
  async setup() {
    const dir = mkdtempSync(join(tmpdir(), "tasklane-store-"));
    let n = 0;
    return harness(
      async () => `sqlite:${join(dir, `db-${++n}.db`)}`,
      async () => rmSync(dir, { recursive: true, force: true }),
    );
  },
};

export const stores: readonly StoreDialect[] = [sqlite];
