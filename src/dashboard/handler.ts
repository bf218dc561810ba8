import type { IncomingMessage, ServerResponse } from "node:http";
import type { BaseTaskBackend } from "../backends/base.ts";
import { getBackend } from "../config.ts";
import { answerAction, answerRead, BadRequest } from "./api.ts";
import { sourceFor } from "./resolve-source.ts";
import {
  csrfProblem,
  hostName,
  isLoopback,
  randomToken,
  refuse,
  requestToken,
  sameSecret,
  tokenCookie,
} from "./security.ts";
import type { DashboardSource } from "./source.ts";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./source.ts";
import { SseHub } from "./sse.ts";
import { checkStaticFiles, serveAsset, servePage } from "./static-files.ts";
import { DEFAULT_WINDOW_MINUTES } from "./stats.ts";

/** Options of `dashboardHandler`. */
export interface DashboardOptions {
  /** What to show. Default: the source of `backend`. */
  source?: DashboardSource;
  /**
   * The backend to show, when no `source` is given: an in-memory backend of this process, or one
   * offering `dashboardSource()` (the database backend).
   * @defaultValue `getBackend("default")`
   */
  backend?: BaseTaskBackend;
  /**
   * Hide the cancel and re-enqueue buttons and refuse those actions.
   * @defaultValue false
   */
  readOnly?: boolean;
  /**
   * When set, every request needs it: as `Authorization: Bearer <token>`, or through the cookie
   * that opening the page once as `<basePath>/?token=<token>` sets.
   * @defaultValue null (no token: then only loopback Host names are answered, see `allowedHosts`)
   */
  token?: string | null;
  /**
   * The path the dashboard is mounted under, e.g. `/admin/tasks`; requests outside it get 404.
   * @defaultValue "" (the root)
   */
  basePath?: string;
  /**
   * Without a token, only requests whose Host is a loopback name (localhost, 127.x, [::1]) are
   * answered, which also defeats DNS rebinding. List other host names here when your own server
   * authenticates the requests before they reach the dashboard, or `"any"`.
   * @defaultValue []
   */
  allowedHosts?: readonly string[] | "any";
  /**
   * Open live-update streams (pages) at most; one more is answered 503.
   * @defaultValue 20
   */
  maxClients?: number;
}

/** A node:http request handler serving the dashboard, with `close()` to end its live streams. */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Ends the open event streams (call before `server.close()`). */
  close(): void;
}

/**
 * The dashboard as a node:http request handler: the page, its JSON API under `api/` and its event
 * stream at `api/events`. See the README's Dashboard section for mounting it and its safety rules.
 * @throws TypeError for a bad option (naming it) or a backend with nothing to show.
 */
export function dashboardHandler(options: DashboardOptions = {}): DashboardHandler {
  const base = normalizeBase(options.basePath ?? "");
  const token = checkToken(options.token ?? null);
  const readOnly = options.readOnly ?? false;
  const allowed = options.allowedHosts ?? [];
  const maxClients = options.maxClients ?? 20;
  if (!Number.isInteger(maxClients) || maxClients < 1) {
    throw new TypeError(`dashboardHandler: maxClients must be a whole number >= 1 (got ${String(maxClients)}).`);
  }
  const source = options.source ?? sourceFor(options.backend ?? getBackend("default"));
  checkStaticFiles();
  const csrf = randomToken();
  const hub = new SseHub(source, { maxClients, flushMs: 250, heartbeatMs: 15_000 });
  const info = {
    readOnly,
    maxPageSize: MAX_PAGE_SIZE,
    defaultPageSize: DEFAULT_PAGE_SIZE,
    windowMinutes: DEFAULT_WINDOW_MINUTES,
  };
  const cookiePath = base === "" ? "/" : base;

  const hostAllowed = (req: IncomingMessage): boolean => {
    if (token !== null || allowed === "any") return true;
    const name = hostName(req.headers.host ?? "");
    return isLoopback(name) || allowed.includes(name);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    if (!(url.pathname === base || url.pathname.startsWith(`${base}/`))) {
      return refuse(res, 404, `Not a dashboard path: ${url.pathname.slice(0, 200)}`);
    }
    if (!hostAllowed(req)) {
      return refuse(
        res,
        403,
        `The dashboard answers only loopback hosts without a token (Host: ${String(req.headers.host).slice(0, 100)}); ` +
          "set a token, or allowedHosts when your server authenticates requests itself.",
      );
    }
    const path = url.pathname.slice(base.length);
    // Relative URLs in the page resolve against `<base>/`, so the bare base redirects there.
    if (path === "") return redirect(res, `${base}/${url.search}`);
    if (token !== null && !authorized(req, url, path, res)) return;
    const method = req.method ?? "GET";
    if (path === "/" && method === "GET") return servePage(res, csrf);
    if (path.startsWith("/static/") && method === "GET") {
      if (serveAsset(res, path.slice("/static/".length))) return;
    } else if (path === "/api/events" && method === "GET") {
      if (!hub.open(res))
        refuse(res, 503, `Too many open dashboard pages (at most ${maxClients}); close one and reload.`);
      return;
    } else if (path.startsWith("/api/") && method === "GET") {
      if (await answerRead(source, info, path.slice("/api/".length), url.searchParams, res)) return;
    } else if (path.startsWith("/api/") && method === "POST") {
      return act(req, res, path.slice("/api/".length));
    } else if (path.startsWith("/api/") || path === "/") {
      return refuse(res, 405, `${method} is not allowed on ${url.pathname.slice(0, 200)}.`, { Allow: "GET, POST" });
    }
    refuse(res, 404, `Nothing at ${url.pathname.slice(0, 200)} in the dashboard.`);
  }

  async function act(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    // Actions carry no body; one that sends a large body is not a dashboard page.
    if (Number(req.headers["content-length"] ?? 0) > 1024) return refuse(res, 413, "Actions take no request body.");
    req.resume();
    if (readOnly) return refuse(res, 403, "This dashboard is read-only: cancel and re-enqueue are off.");
    const problem = csrfProblem(req, csrf);
    if (problem !== null) return refuse(res, 403, problem);
    if (!(await answerAction(source, path, res))) refuse(res, 404, `No action at api/${path.slice(0, 200)}.`);
  }

  /** True when the request carries the token; else answers 401 (or sets the cookie from `?token=`). */
  function authorized(req: IncomingMessage, url: URL, path: string, res: ServerResponse): boolean {
    const expected = token as string;
    const given = url.searchParams.get("token");
    if (given !== null && path === "/" && req.method === "GET") {
      if (!sameSecret(given, expected)) {
        refuse(res, 401, "Wrong dashboard token.");
        return false;
      }
      // Keep the token out of the address bar and history: the cookie carries it from now on.
      url.searchParams.delete("token");
      redirect(res, `${base}/${url.search}`, { "Set-Cookie": tokenCookie(expected, cookiePath) });
      return false;
    }
    const carried = requestToken(req);
    if (carried !== null && sameSecret(carried, expected)) return true;
    refuse(
      res,
      401,
      `This dashboard needs its token: send "Authorization: Bearer <token>", or open ${base}/?token=<token> once.`,
      { "WWW-Authenticate": 'Bearer realm="tasklane dashboard"' },
    );
    return false;
  }

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BadRequest) return refuse(res, 400, error.message);
      const code = (error as { code?: unknown }).code;
      const message = error instanceof Error ? error.message : String(error);
      // A tasklane error (an invalid task at re-enqueue, a closed backend) is the user's to read.
      if (typeof code === "string" && code.startsWith("TASKLANE_")) return refuse(res, 409, message);
      refuse(res, 500, `The dashboard failed: ${message}`);
    });
  }) as DashboardHandler;
  handler.close = () => hub.close();
  return handler;
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { Location: location, "Cache-Control": "no-store", ...headers });
  res.end();
}

function normalizeBase(basePath: string): string {
  if (typeof basePath !== "string" || (basePath !== "" && !basePath.startsWith("/"))) {
    throw new TypeError(`dashboardHandler: basePath must start with "/" (got ${JSON.stringify(basePath)}).`);
  }
  if (/[?#\s]/.test(basePath)) {
    throw new TypeError(`dashboardHandler: basePath must be a plain path (got ${JSON.stringify(basePath)}).`);
  }
  return basePath.replace(/\/+$/, "");
}

function checkToken(token: string | null): string | null {
  if (token === null) return null;
  if (typeof token !== "string" || token === "" || /\s/.test(token)) {
    throw new TypeError("dashboardHandler: token must be a non-empty string without spaces (or null for none).");
  }
  return token;
}
