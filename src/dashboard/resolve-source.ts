import type { BaseTaskBackend } from "../backends/base.ts";
import { holdsResults, MemorySource } from "./memory-source.ts";
import type { DashboardSource } from "./source.ts";

/**
 * A backend whose results can be watched from any process (the database backend) offers its own
 * source through this method; the CLI's `tasklane dashboard` serves only such backends.
 */
export interface WatchableBackend {
  dashboardSource(): DashboardSource;
}

/** Whether `backend` offers `dashboardSource()`. */
export function isWatchable(backend: BaseTaskBackend): backend is BaseTaskBackend & WatchableBackend {
  return typeof (backend as Partial<WatchableBackend>).dashboardSource === "function";
}

/**
 * The source that shows `backend`: its own `dashboardSource()`, else a `MemorySource` over the
 * results it holds in this process.
 * @throws TypeError naming the alias when the backend offers neither.
 */
export function sourceFor(backend: BaseTaskBackend): DashboardSource {
  if (isWatchable(backend)) return backend.dashboardSource();
  if (holdsResults(backend)) return new MemorySource(backend);
  throw new TypeError(
    `dashboardHandler: backend '${backend.alias}' (${backend.constructor.name}) has neither heldResults() nor ` +
      "dashboardSource(), so there is nothing to show; pass one of the built-in backends or a `source`.",
  );
}
