import type { BackendClass } from "./base.ts";
import { DatabaseBackend } from "./database.ts";
import { DummyBackend } from "./dummy.ts";
import { ImmediateBackend } from "./immediate.ts";
import { ProcessPoolBackend } from "./process-pool.ts";
import { ThreadPoolBackend } from "./thread-pool.ts";

/** The backends a configuration can name by string. */
export const builtinBackends: Readonly<Record<string, BackendClass>> = Object.freeze({
  immediate: ImmediateBackend,
  dummy: DummyBackend,
  "thread-pool": ThreadPoolBackend,
  "process-pool": ProcessPoolBackend,
  database: DatabaseBackend,
});
