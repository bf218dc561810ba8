/**
 * The dashboard, as its own entry point (`tasklane/dashboard`), so an app that never shows it
 * loads none of it.
 */
export { type DashboardHandler, type DashboardOptions, dashboardHandler } from "./handler.ts";
export { holdsResults, type InMemoryBackend, MemorySource } from "./memory-source.ts";
export { isWatchable, sourceFor, type WatchableBackend } from "./resolve-source.ts";
export { CSRF_HEADER, isLoopback, TOKEN_COOKIE } from "./security.ts";
export {
  type CancelOutcome,
  type DashboardChange,
  type DashboardCounts,
  type DashboardDetail,
  type DashboardRow,
  type DashboardSource,
  type DashboardStats,
  DEFAULT_PAGE_SIZE,
  type ListQuery,
  MAX_PAGE_SIZE,
  type MinuteStats,
  type ReenqueueOutcome,
  type ResultPage,
} from "./source.ts";
export { StoreSource, type StoreSourceOptions } from "./store-source.ts";
