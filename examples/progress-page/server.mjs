// A web page with one progress bar per job: buttons start jobs on a process pool of 4 workers,
// each job reports progress from inside its child process, and the server streams it to the page
// over Server-Sent Events. Jobs beyond 4 wait for a worker; a reload gets every bar back.
// Run: node examples/progress-page/server.mjs [port]   (after npm run build; PORT works too, 0 = any)
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { closeAll, configure, taskEvents } from "tasklane";
import { createJobBoard } from "./jobs.mjs";
import { render } from "./tasks.mjs";

const port = Number(process.argv[2] ?? process.env.PORT ?? 3001);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node examples/progress-page/server.mjs [port]   (0 = any free port; PORT works too)`);
  process.exit(2);
}
const FRAMES = { short: 30, long: 120 }; // about 1 s and 7 s of CPU alone; longer when 4 share 2 cores
const COOKIE = "tl_client";

configure({ default: { backend: "process-pool", options: { maxWorkers: 4 } } });

const board = createJobBoard({
  maxActivePerClient: 10,
  maxActiveTotal: 40, // all visitors together: what the pool may have queued at once
  maxJobsPerClient: 50, // finished jobs beyond this are forgotten, oldest first
  maxClients: 500,
  maxStreamsPerClient: 5, // open tabs per visitor
});
for (const event of ["taskStarted", "taskProgress", "taskFinished"]) taskEvents.on(event, board.update);

const page = await readFile(new URL("./index.html", import.meta.url));
const streams = new Set(); // open SSE responses, ended at shutdown

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const route = `${req.method} ${url.pathname}`;
  if (route === "GET /") return servePage(req, res);
  if (route === "GET /events") return serveEvents(req, res);
  if (route === "POST /jobs") return startJob(req, res).catch((error) => sendJson(res, 500, { error: String(error) }));
  sendJson(res, 404, { error: `Nothing at ${route}` });
});

/** The page; a visitor without our cookie gets one, which is how the server knows its jobs. */
function servePage(req, res) {
  const headers = { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" };
  if (!clientId(req)) {
    // SameSite=Strict: other sites cannot start jobs with a visitor's cookie.
    headers["Set-Cookie"] = `${COOKIE}=${randomUUID()}; Path=/; HttpOnly; SameSite=Strict`;
  }
  res.writeHead(200, headers);
  res.end(page);
}

/** The SSE stream: the visitor's jobs at once (that is what a reload sees), then every change. */
function serveEvents(req, res) {
  const id = clientId(req);
  if (!id) return sendJson(res, 400, { error: "No visitor cookie: load / first." });
  const send = (event, data) => {
    if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store", Connection: "keep-alive" });
  res.write("retry: 1000\n\n"); // how soon the browser reconnects after a drop
  const unsubscribe = board.subscribe(id, send);
  if (!unsubscribe) {
    send("refused", { error: "Too many open tabs or visitors; close a tab and reload." });
    return res.end();
  }
  streams.add(res);
  // A comment line now and then keeps idle proxies from closing the stream.
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
  // The response's "close" is what fires when the browser goes away (a reload, a closed tab).
  res.on("close", () => {
    clearInterval(heartbeat);
    unsubscribe();
    streams.delete(res);
  });
}

async function startJob(req, res) {
  const id = clientId(req);
  if (!id) return sendJson(res, 400, { error: "No visitor cookie: reload the page." });
  const body = await readBody(req, 1024);
  let kind;
  try {
    kind = JSON.parse(body ?? "null")?.kind;
  } catch {
    kind = undefined;
  }
  if (!Object.hasOwn(FRAMES, kind)) return sendJson(res, 400, { error: 'Send {"kind": "short"} or {"kind": "long"}.' });
  const outcome = await board.start(id, kind, () => render.enqueue(FRAMES[kind]));
  if (!outcome.ok) return sendJson(res, outcome.status, { error: outcome.error });
  sendJson(res, 202, { job: outcome.job });
}

function clientId(req) {
  const match = new RegExp(`(?:^|;\\s*)${COOKIE}=([0-9a-f-]{36})(?:;|$)`).exec(req.headers.cookie ?? "");
  return match?.[1] ?? null;
}

/** The request body as text, or null when it is larger than `limit` bytes. */
async function readBody(req, limit) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) return null;
  }
  return body;
}

function sendJson(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

server.listen(port, "127.0.0.1", () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}`);
});

// Ctrl-C or SIGTERM: end the streams (browsers would hold them open), stop the pool, exit.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    console.log(`${signal}: shutting down`);
    for (const res of streams) res.end();
    server.close();
    server.closeAllConnections();
    await closeAll({ timeoutMs: 1000 });
  });
}
