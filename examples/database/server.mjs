// A web server that hands slow work to a separate worker process through a database:
//   terminal 1:  cd examples/database && node server.mjs 3000
//   terminal 2:  cd examples/database && npx tasklane worker --queue-name '*'
//   curl -X POST 'http://127.0.0.1:3000/signup?user=42'   ->  202 {"id":"…","statusUrl":"/status/…"}
//   curl http://127.0.0.1:3000/status/<id>                ->  {"status":"RUNNING","progress":…}
// Stop either one and start it again: queued tasks and results are rows in tasklane.db, not memory.
// (Run `npm run build` in the repository first: the example imports the built package.)
import { createServer } from "node:http";
import { configure, TaskResultDoesNotExist } from "tasklane";
import config from "./tasklane.config.mjs";
import { sendWelcomeEmail } from "./tasks.mjs";

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: node server.mjs [port]   (0 = any free port)");
  process.exit(2);
}
configure(config);

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  try {
    if (url.pathname === "/signup" && req.method === "POST") {
      const user = Number(url.searchParams.get("user"));
      if (!Number.isSafeInteger(user) || user < 1) return send(res, 400, { error: "user must be a whole number >= 1" });
      const result = await sendWelcomeEmail.using({ queueName: "emails" }).enqueue(user);
      res.setHeader("Location", `/status/${result.id}`);
      return send(res, 202, { id: result.id, status: result.status, statusUrl: `/status/${result.id}` });
    }
    if (url.pathname.startsWith("/status/") && req.method === "GET") {
      const id = decodeURIComponent(url.pathname.slice("/status/".length));
      try {
        const result = await sendWelcomeEmail.getResult(id);
        const body = { id, status: result.status, progress: result.progress, attempts: result.attempts };
        if (result.status === "SUCCESSFUL") body.returnValue = result.returnValue;
        if (result.status === "FAILED") body.error = result.errors.at(-1)?.message ?? "failed";
        return send(res, 200, body);
      } catch (error) {
        if (error instanceof TaskResultDoesNotExist) return send(res, 404, { error: `No result ${id}` });
        throw error;
      }
    }
    send(res, 404, { error: "try POST /signup?user=42 or GET /status/:id" });
  } catch (error) {
    send(res, 500, { error: String(error) });
  }
});

function send(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

server.listen(port, "127.0.0.1", () => console.log(`Listening on http://127.0.0.1:${server.address().port}`));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    console.log(`${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
  });
}
