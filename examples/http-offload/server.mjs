// A node:http server that keeps CPU work off its request path: /work enqueues it on a process pool
// and answers at once with the result id; /status/:id reports it; /ping answers instantly meanwhile.
// Run: node examples/http-offload/server.mjs [port]   (after npm run build; PORT works too, 0 = any)
//   curl -X POST 'http://127.0.0.1:3000/work?n=5000000'   ->  202 {"id":"…","statusUrl":"/status/…"}
//   curl http://127.0.0.1:3000/status/<id>                 ->  {"status":"RUNNING","percent":40,…}
//   curl http://127.0.0.1:3000/ping                        ->  answers at once while the work runs
import { createServer } from "node:http";
import { closeAll, configure, getBackend, TaskResultDoesNotExist } from "tasklane";
import { countPrimes } from "./tasks.mjs";

const MAX_N = 20_000_000; // bounds one request's work (about 10 s of CPU)
const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node examples/http-offload/server.mjs [port]   (0 = any free port; PORT works too)`);
  process.exit(2);
}

// Two workers: enough to show work running beside the server; the request path stays in this process.
configure({ default: { backend: "process-pool", options: { maxWorkers: 2, maxResults: 1000 } } });

const routes = [
  ["/work", handleWork],
  ["/status/", handleStatus],
  ["/ping", handlePing],
];

const server = createServer(async (req, res) => {
  const started = performance.now();
  const url = new URL(req.url ?? "/", "http://localhost");
  const route = routes.find(([prefix]) =>
    prefix.endsWith("/") ? url.pathname.startsWith(prefix) : url.pathname === prefix,
  );
  try {
    if (route) await route[1](req, res, url);
    else send(res, 404, { error: `No route ${url.pathname}; try POST /work?n=…, GET /status/:id, GET /ping` });
  } catch (error) {
    send(res, 500, { error: String(error) });
  }
  // The log shows the point of the example: requests take milliseconds while the workers are busy.
  const took = (performance.now() - started).toFixed(1);
  console.log(`${req.method} ${url.pathname}${url.search} -> ${res.statusCode} in ${took} ms`);
});

/** POST /work?n=… : enqueue, answer 202 at once. GET is accepted too, to try it from a browser. */
async function handleWork(req, res, url) {
  if (req.method !== "POST" && req.method !== "GET") return send(res, 405, { error: "Use POST /work?n=…" });
  const n = Number(url.searchParams.get("n"));
  if (!Number.isSafeInteger(n) || n < 2 || n > MAX_N) {
    return send(res, 400, { error: `n must be a whole number from 2 to ${MAX_N}` });
  }
  const result = await countPrimes.enqueue(n);
  res.setHeader("Location", `/status/${result.id}`);
  send(res, 202, { id: result.id, status: result.status, statusUrl: `/status/${result.id}` });
}

/** GET /status/:id : the result's state; returnValue once it succeeded, the error if it failed. */
async function handleStatus(_req, res, url) {
  const id = decodeURIComponent(url.pathname.slice("/status/".length));
  let result;
  try {
    result = await countPrimes.getResult(id);
  } catch (error) {
    // Unknown, or evicted: the pool keeps the last maxResults finished results.
    if (error instanceof TaskResultDoesNotExist) return send(res, 404, { error: `No result ${id}` });
    throw error;
  }
  const p = result.progress;
  const body = {
    id: result.id,
    status: result.status,
    percent: p === null ? 0 : Math.floor(100 * (typeof p === "number" ? p : p.current / p.total)),
    progress: p,
  };
  if (result.status === "SUCCESSFUL") body.returnValue = result.returnValue;
  if (result.status === "FAILED") body.error = result.errors.at(-1)?.message ?? "failed";
  send(res, 200, body);
}

/** GET /ping : answered by this process at once, however busy the workers are. */
function handlePing(_req, res) {
  const backend = getBackend();
  send(res, 200, { pong: true, pending: backend.pending, workers: backend.workerInfo().map((w) => w.pid) });
}

function send(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

server.listen(port, "127.0.0.1", () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}`);
});

// Ctrl-C or a supervisor's SIGTERM: stop listening, give running work a moment, end the workers.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    console.log(`${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    await closeAll({ timeoutMs: 2000 });
  });
}
