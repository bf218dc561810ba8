import { availableParallelism } from "node:os";
import { InvalidTaskBackend } from "../errors.ts";
import { type OptionSpec, positiveInteger, readOptions } from "./options.ts";
import {
  laneOptions,
  lanesAndRecycle,
  nonNegativeInteger,
  optionalPositive,
  optionalTimerMs,
  timerMs,
} from "./pool-options.ts";

/** Where the embedded default keeps its rows: a file in the working directory. */
export const DEFAULT_DATABASE_URL = "sqlite:./tasklane.db";

const url: OptionSpec<string> = {
  check: (v): v is string => typeof v === "string" && /^(?:sqlite:.+|postgres(?:ql)?:\/\/.*)$/.test(v),
  expected: 'a URL: "sqlite:./path/to/file.db", "sqlite:/absolute/file.db" or "postgres://user@host:5432/db"',
  default: DEFAULT_DATABASE_URL,
};

const synchronous: OptionSpec<"normal" | "full"> = {
  check: (v): v is "normal" | "full" => v === "normal" || v === "full",
  expected: '"normal" or "full"',
  default: "normal",
};

const identifier: OptionSpec<string> = {
  check: (v): v is string => typeof v === "string" && /^[a-z_][a-z0-9_]{0,62}$/.test(v),
  expected: "a lower-case SQL identifier (letters, digits, _)",
  default: "tasklane",
};

/**
 * Reads and checks the options of a `database` backend. The worker settings (maxWorkers, queues,
 * recycling, cancelGraceMs) are those of the pool backends: they configure the process pool that
 * `tasklane worker` runs the tasks in.
 */
export function readDatabaseOptions(alias: string, options: Readonly<Record<string, unknown>>) {
  const read = readOptions(alias, "database", options, {
    url,
    leaseMs: positiveInteger(30_000),
    synchronous,
    schema: identifier,
    maxPayloadBytes: positiveInteger(4 * 1024 * 1024),
    maxWorkers: positiveInteger(availableParallelism()),
    queues: laneOptions,
    cancelGraceMs: timerMs(2000),
    importTimeoutMs: { ...optionalTimerMs, default: 30_000 },
    maxTasksPerWorker: optionalPositive("a whole number >= 1, or null"),
    maxWorkerMemoryMb: optionalPositive("a number of megabytes > 0, or null"),
    idleTimeoutMs: optionalTimerMs,
    minWorkers: nonNegativeInteger(0),
  });
  if (read.maxTasksPerWorker !== null && !Number.isSafeInteger(read.maxTasksPerWorker)) {
    throw new InvalidTaskBackend(
      `Option 'maxTasksPerWorker' of backend '${alias}' (database) must be a whole number >= 1, or null.`,
    );
  }
  return { ...read, ...lanesAndRecycle(read) };
}

/** The checked options of a database backend. */
export type DatabaseOptions = ReturnType<typeof readDatabaseOptions>;
