import type { ServerResponse } from "node:http";
import { TaskResultStatus } from "../result.ts";
import { refuse, SECURITY_HEADERS } from "./security.ts";
import { type DashboardSource, DEFAULT_PAGE_SIZE, type ListQuery, MAX_PAGE_SIZE } from "./source.ts";
import { DEFAULT_WINDOW_MINUTES, MAX_WINDOW_MINUTES } from "./stats.ts";

/** A request the API cannot answer as asked: sent as 400 with the message. */
export class BadRequest extends Error {
  override get name(): string {
    return "BadRequest";
  }
}

// Ids are under 64 characters; other filters are module paths and queue names, never long.
const MAX_ID_FILTER = 64;
const MAX_TEXT_FILTER = 2048;

const STATUSES = new Set<string>(Object.values(TaskResultStatus));

/** Sends `body` as JSON; API answers are never cached (they change as tasks run). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The list query of `?status=&queue=&task=&id=&limit=&after=`. A limit above MAX_PAGE_SIZE is
 * lowered to it (a bound, not a mistake); anything malformed is a BadRequest naming the parameter.
 */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const status = text(params, "status", 16);
  if (status !== undefined && !STATUSES.has(status)) {
    throw new BadRequest(`status must be one of ${[...STATUSES].join(", ")} (got ${JSON.stringify(status)}).`);
  }
  const limit = integer(params, "limit", DEFAULT_PAGE_SIZE);
  if (limit < 1) throw new BadRequest(`limit must be at least 1 (got ${limit}).`);
  const query: { -readonly [K in keyof ListQuery]: ListQuery[K] } = { limit: Math.min(limit, MAX_PAGE_SIZE) };
  if (status !== undefined) query.status = status as TaskResultStatus;
  const queue = text(params, "queue", MAX_TEXT_FILTER);
  if (queue !== undefined) query.queue = queue;
  const task = text(params, "task", MAX_TEXT_FILTER);
  if (task !== undefined) query.task = task;
  const id = text(params, "id", MAX_ID_FILTER);
  if (id !== undefined) query.idContains = id;
  const after = text(params, "after", MAX_TEXT_FILTER);
  if (after !== undefined) query.after = after;
  return query;
}

/** The chart's window from `?minutes=`, 1..MAX_WINDOW_MINUTES. */
export function parseWindow(params: URLSearchParams): number {
  const minutes = integer(params, "minutes", DEFAULT_WINDOW_MINUTES);
  if (minutes < 1 || minutes > MAX_WINDOW_MINUTES) {
    throw new BadRequest(`minutes must be from 1 to ${MAX_WINDOW_MINUTES} (got ${minutes}).`);
  }
  return minutes;
}

/** Answers the GET routes under `api/`; false when `path` is none of them. */
export async function answerRead(
  source: DashboardSource,
  info: Record<string, unknown>,
  path: string,
  params: URLSearchParams,
  res: ServerResponse,
): Promise<boolean> {
  if (path === "info") sendJson(res, 200, { ...info, backend: source.backend, scope: source.scope });
  else if (path === "counts") sendJson(res, 200, await source.counts());
  else if (path === "results") sendJson(res, 200, await source.list(parseListQuery(params)));
  else if (path === "stats") sendJson(res, 200, await source.stats(parseWindow(params)));
  else {
    const id = resultId(path, "");
    if (id === null) return false;
    const detail = await source.detail(id);
    if (detail === null) refuse(res, 404, `No result ${JSON.stringify(id)} in ${source.scope}.`);
    else sendJson(res, 200, detail);
  }
  return true;
}

/** Answers the POST routes `api/results/<id>/cancel` and `…/reenqueue`; false for any other path. */
export async function answerAction(source: DashboardSource, path: string, res: ServerResponse): Promise<boolean> {
  const cancelId = resultId(path, "/cancel");
  if (cancelId !== null) {
    const outcome = await source.cancel(cancelId);
    if (outcome === "missing") refuse(res, 404, `No result ${JSON.stringify(cancelId)} in ${source.scope}.`);
    else if (outcome === "finished")
      refuse(res, 409, `Result ${cancelId} had already finished; nothing was cancelled.`);
    else sendJson(res, 200, { outcome });
    return true;
  }
  const againId = resultId(path, "/reenqueue");
  if (againId === null) return false;
  const outcome = await source.reenqueue(againId);
  if (outcome === "missing") refuse(res, 404, `No result ${JSON.stringify(againId)} in ${source.scope}.`);
  else if (outcome === "not-failed")
    refuse(res, 409, `Result ${againId} is not FAILED; only a FAILED one is re-enqueued.`);
  else sendJson(res, 200, { outcome: "reenqueued", id: outcome.id });
  return true;
}

/** The id in `results/<id><suffix>`, or null when `path` has another shape. */
function resultId(path: string, suffix: string): string | null {
  if (!path.startsWith("results/") || !path.endsWith(suffix)) return null;
  const raw = path.slice("results/".length, path.length - suffix.length);
  if (raw === "" || raw.includes("/")) return null;
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new BadRequest(`The result id in the path is not valid percent-encoding: ${raw.slice(0, 80)}`);
  }
  if (id.length > MAX_ID_FILTER) throw new BadRequest(`A result id is at most ${MAX_ID_FILTER} characters.`);
  return id;
}

function text(params: URLSearchParams, name: string, max: number): string | undefined {
  const value = params.get(name);
  if (value === null || value === "") return undefined;
  if (value.length > max) throw new BadRequest(`${name} is at most ${max} characters (got ${value.length}).`);
  return value;
}

function integer(params: URLSearchParams, name: string, fallback: number): number {
  const value = params.get(name);
  if (value === null || value === "") return fallback;
  if (!/^\d{1,6}$/.test(value)) throw new BadRequest(`${name} must be a whole number (got ${JSON.stringify(value)}).`);
  return Number(value);
}
