import type { BackendClass } from "./base.ts";
import { DummyBackend } from "./dummy.ts";
import { ImmediateBackend } from "./immediate.ts";

/** The backends a configuration can name by string. */
export const builtinBackends: Readonly<Record<string, BackendClass>> = Object.freeze({
  immediate: ImmediateBackend,
  dummy: DummyBackend,
});
