/**
 * The dashboard's HTTP rules, over real sockets and the dummy backend (which holds READY results
 * and never runs them, so what the backend holds is exactly what the test enqueued).
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DashboardOptions, dashboardHandler, MAX_PAGE_SIZE } from "../../src/dashboard/index.ts";
import {
  BaseTaskBackend,
  closeAll,
  configure,
  type DummyBackend,
  getBackend,
  type TaskResult,
} from "../../src/index.ts";
import { echo } from "../fixtures/dashboard/tasks.ts";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with any headers (fetch may not set Host or Origin freely). */
function send(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const json = (reply: Reply) => JSON.parse(reply.body) as Record<string, unknown>;

describe("dashboardHandler", () => {
  let server: Server | null = null;
  let close: (() => void) | null = null;
  let base = "";

  beforeEach(() => {
    configure({ default: { backend: "dummy" } });
  });
  afterEach(async () => {
    close?.();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(null));
    server = null;
    await closeAll();
  });

  async function serve(options: DashboardOptions = {}): Promise<string> {
    const handler = dashboardHandler({ basePath: "/tasks", ...options });
    close = handler.close;
    server = createServer(handler);
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tasks`;
    return base;
  }
  const dummy = () => getBackend() as DummyBackend;
  /** The CSRF token the page carries. */
  const csrfOf = async () =>
    /name="tasklane-csrf" content="([0-9a-f]+)"/.exec((await send(`${base}/`)).body)?.[1] ?? "";

  it("serves the page and its files with a strict CSP, and JSON that is never cached", async () => {
    await serve();
    const page = await send(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.body).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    for (const file of ["app.js", "dom.js", "chart.js", "detail.js"]) {
      const reply = await send(`${base}/static/${file}`);
      expect(reply.status, file).toBe(200);
      expect(reply.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    }
    expect((await send(`${base}/static/app.css`)).headers["content-type"]).toBe("text/css; charset=utf-8");
    expect((await send(`${base}/static/index.html`)).status).toBe(404);
    expect((await send(`${base}/static/../handler.ts`)).status).toBe(404);
    const counts = await send(`${base}/api/counts`);
    expect(counts.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(counts.headers["cache-control"]).toBe("no-store");
    expect(json(counts)).toEqual({ queues: [], total: { READY: 0, RUNNING: 0, SUCCESSFUL: 0, FAILED: 0 } });
  });

  it("answers only under its base path, and sends the bare base path to the page", async () => {
    await serve();
    const bare = await send(base);
    expect(bare.status).toBe(303);
    expect(bare.headers.location).toBe("/tasks/");
    expect((await send(base.replace("/tasks", "/elsewhere"))).status).toBe(404);
    expect((await send(base.replace("/tasks", "/tasksx"))).status).toBe(404);
    expect((await send(`${base}/api/nothing`)).status).toBe(404);
    expect((await send(`${base}/`, { method: "DELETE" })).status).toBe(405);
  });

  it("bounds the page size and pages through every result, newest first", async () => {
    await serve();
    const enqueued: TaskResult[] = [];
    for (let i = 0; i < MAX_PAGE_SIZE + 5; i++) enqueued.push(await echo.enqueue(i));
    const first = json(await send(`${base}/api/results?limit=100000`));
    const rows = first.rows as { id: string }[];
    expect(rows).toHaveLength(MAX_PAGE_SIZE);
    expect(rows[0]?.id).toBe(enqueued.at(-1)?.id);
    const second = json(await send(`${base}/api/results?limit=100000&after=${encodeURIComponent(String(first.next))}`));
    expect((second.rows as { id: string }[]).map((r) => r.id)).toEqual(
      enqueued
        .slice(0, 5)
        .reverse()
        .map((r) => r.id),
    );
    expect(second.next).toBeNull();
    expect(json(await send(`${base}/api/results`)).rows).toHaveLength(50);
  });

  it("refuses malformed queries with a message naming the parameter", async () => {
    await serve();
    const cases: [string, string][] = [
      ["results?limit=abc", 'limit must be a whole number (got "abc").'],
      ["results?limit=0", "limit must be at least 1 (got 0)."],
      ["results?status=DONE", 'status must be one of READY, RUNNING, SUCCESSFUL, FAILED (got "DONE").'],
      [`results?id=${"x".repeat(65)}`, "id is at most 64 characters (got 65)."],
      ["stats?minutes=100000", "minutes must be from 1 to 1440 (got 100000)."],
    ];
    for (const [path, error] of cases) {
      const reply = await send(`${base}/api/${path}`);
      expect(reply.status, path).toBe(400);
      expect(json(reply), path).toEqual({ error });
    }
    expect(json(await send(`${base}/api/results/nope`))).toEqual({
      error: `No result "nope" in results held in memory by backend 'default'.`,
    });
  });

  it("refuses an action without the page's CSRF token or from another origin, and the result stays READY", async () => {
    await serve();
    const result = await echo.enqueue("keep me");
    const cancel = `${base}/api/results/${result.id}/cancel`;
    const bare = await send(cancel, { method: "POST" });
    expect(bare.status).toBe(403);
    expect(json(bare).error).toBe(
      "Actions need the page's CSRF token in the x-tasklane-csrf header: reload the dashboard.",
    );
    const wrong = await send(cancel, { method: "POST", headers: { "X-Tasklane-CSRF": "0".repeat(64) } });
    expect(wrong.status).toBe(403);
    const csrf = await csrfOf();
    const host = new URL(base).host;
    const foreign = await send(cancel, {
      method: "POST",
      headers: { "X-Tasklane-CSRF": csrf, Origin: "http://evil.example" },
    });
    expect(foreign.status).toBe(403);
    expect(json(foreign).error).toBe(`Refused an action from another origin (http://evil.example, this is ${host}).`);
    const crossSite = await send(cancel, {
      method: "POST",
      headers: { "X-Tasklane-CSRF": csrf, "Sec-Fetch-Site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    expect((await dummy().getResult(result.id)).status).toBe("READY");

    const ok = await send(cancel, { method: "POST", headers: { "X-Tasklane-CSRF": csrf, Origin: `http://${host}` } });
    expect(ok.status).toBe(200);
    expect(json(ok)).toEqual({ outcome: "cancelled" });
    const cancelled = await dummy().getResult(result.id);
    expect(cancelled.status).toBe("FAILED");
    expect(cancelled.errors[0]?.exceptionClassPath).toBe("TaskCancelled");
    const again = await send(cancel, { method: "POST", headers: { "X-Tasklane-CSRF": csrf } });
    expect(again.status).toBe(409);
    // Re-enqueue takes FAILED results only; the copy is a new READY result with the same arguments.
    const ready = await echo.enqueue("still ready");
    const notFailed = await send(`${base}/api/results/${ready.id}/reenqueue`, {
      method: "POST",
      headers: { "X-Tasklane-CSRF": csrf },
    });
    expect(json(notFailed)).toEqual({ error: `Result ${ready.id} is not FAILED; only a FAILED one is re-enqueued.` });
    const copy = json(
      await send(`${base}/api/results/${result.id}/reenqueue`, {
        method: "POST",
        headers: { "X-Tasklane-CSRF": csrf },
      }),
    );
    expect(copy.outcome).toBe("reenqueued");
    const fresh = await dummy().getResult(String(copy.id));
    expect([fresh.status, fresh.args]).toEqual(["READY", ["keep me"]]);
    const detail = json(await send(`${base}/api/results/${String(copy.id)}`));
    expect(detail.reenqueuedFrom).toBe(result.id);
    expect(json(await send(`${base}/api/results/${result.id}`)).reenqueuedAs).toBe(copy.id);
  });

  it("with a token, refuses every request without it, and takes it as a Bearer header or a cookie set once", async () => {
    await serve({ token: "s3cret-token" });
    for (const path of ["/", "/static/app.js", "/api/counts", "/api/events"]) {
      const reply = await send(`${base}${path}`);
      expect(reply.status, path).toBe(401);
      expect(reply.headers["www-authenticate"]).toBe('Bearer realm="tasklane dashboard"');
    }
    expect((await send(`${base}/api/counts`, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await send(`${base}/api/counts`, { headers: { Authorization: "Bearer s3cret-token" } })).status).toBe(200);
    expect((await send(`${base}/?token=wrong`)).status).toBe(401);

    const login = await send(`${base}/?token=s3cret-token&x=1`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe("/tasks/?x=1"); // the token leaves the address bar
    const cookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
    expect(String(login.headers["set-cookie"])).toContain("HttpOnly; SameSite=Strict");
    expect((await send(`${base}/`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await send(`${base}/api/counts`, { headers: { Cookie: `${cookie}x` } })).status).toBe(401);
    // A token also lets other Host names in (the CLI's non-loopback case).
    expect((await send(`${base}/api/counts`, { headers: { Cookie: cookie, Host: "tasks.example:8600" } })).status).toBe(
      200,
    );
  });

  it("without a token, answers loopback Host names only (no DNS rebinding), unless told otherwise", async () => {
    await serve();
    const port = new URL(base).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await send(`${base}/api/counts`, { headers: { Host: host } })).status, host).toBe(200);
    }
    const rebound = await send(`${base}/api/counts`, { headers: { Host: `attacker.example:${port}` } });
    expect(rebound.status).toBe(403);
    expect(json(rebound).error).toContain("answers only loopback hosts without a token");
    close?.();
    server?.close();
    await serve({ allowedHosts: ["tasks.internal"] });
    expect((await send(`${base}/api/counts`, { headers: { Host: "tasks.internal:80" } })).status).toBe(200);
    expect((await send(`${base}/api/counts`, { headers: { Host: "other.internal" } })).status).toBe(403);
  });

  it("streams changes as Server-Sent Events and bounds the number of open streams", async () => {
    await serve({ maxClients: 1 });
    const controller = new AbortController();
    const events = await fetch(`${base}/api/events`, { signal: controller.signal });
    expect(events.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("event: hello")) text += (await reader.read()).value ?? "";

    const second = await send(`${base}/api/events`);
    expect(second.status).toBe(503);
    expect(json(second).error).toBe("Too many open dashboard pages (at most 1); close one and reload.");

    const result = await echo.enqueue("watched");
    while (!text.includes(result.id)) text += (await reader.read()).value ?? "";
    const line = text.split("\n").find((l) => l.includes(result.id)) ?? "";
    const data = JSON.parse(line.replace(/^data: /, "")) as { changes: { kind: string; row: { id: string } }[] };
    expect(data.changes.map((c) => [c.kind, c.row.id])).toEqual([["enqueued", result.id]]);
    controller.abort();
    // The closed stream's place is free again (the server notices the close asynchronously).
    let reopened = 503;
    for (let i = 0; i < 100 && reopened === 503; i++) {
      const again = new AbortController();
      const reply = await fetch(`${base}/api/events`, { signal: again.signal });
      reopened = reply.status;
      if (reopened === 503) await reply.body?.cancel();
      again.abort();
    }
    expect(reopened).toBe(200);
  });

  it("refuses bad options with a message naming them", async () => {
    expect(() => dashboardHandler({ basePath: "tasks" })).toThrow('basePath must start with "/" (got "tasks")');
    expect(() => dashboardHandler({ token: "" })).toThrow("token must be a non-empty string without spaces");
    expect(() => dashboardHandler({ maxClients: 0 })).toThrow("maxClients must be a whole number >= 1 (got 0)");
    class Blind extends BaseTaskBackend {
      enqueue(): Promise<TaskResult> {
        throw new Error("unused");
      }
    }
    const blind = new Blind({ alias: "blind", queues: [], options: {} });
    expect(() => dashboardHandler({ backend: blind })).toThrow(
      "dashboardHandler: backend 'blind' (Blind) has neither heldResults() nor dashboardSource()",
    );
  });
});
