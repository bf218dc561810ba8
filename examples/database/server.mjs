// A web server that hands slow work to a separate worker process through a SQLite file:
//   terminal 1:  cd examples/database && node server.mjs 3000
//   terminal 2:  cd examples/database && node ../../dist/cli/main.js worker --queue-name '*'
//                (in an app that installed tasklane: npx tasklane worker --queue-name '*')
//   curl -X POST 'http://127.0.0.1:3000/tasks?user=42'  ->  202 {"id":"…","status":"READY","statusUrl":"/tasks/…"}
//   curl http://127.0.0.1:3000/tasks/<id>               ->  {"status":"SUCCESSFUL","returnValue":{…},…}
// Stop either one and start it again: queued tasks and results are rows in ./tasklane.db (relative
// to the directory each was started in; TASKLANE_DB=sqlite:/abs/path.db points both elsewhere).
// (Run `npm run build` in the repository first: the example imports the built package.)
import { createServer } from "node:http";
import { closeAll, configure, TaskResultDoesNotExist } from "tasklane";
import config from "./tasklane.config.mjs";
import { sendWelcomeEmail } from "./tasks.mjs";

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: node server.mjs [port]   (0 = any free port; PORT works too)");
  process.exit(2);
}
configure(config);

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  try {
    if (url.pathname === "/tasks" && req.method === "POST") {
      const user = Number(url.searchParams.get("user") || Number.NaN);
      if (!Number.isSafeInteger(user) || user < 1) return send(res, 400, { error: "user must be a whole number >= 1" });
      // One row in the database; no task runs in this process, so this answers at once.
      const result = await sendWelcomeEmail.using({ queueName: "emails" }).enqueue(user);
      const statusUrl = `/tasks/${result.id}`;
      res.setHeader("Location", statusUrl);
      return send(res, 202, { id: result.id, status: result.status, statusUrl });
    }
    if (url.pathname.startsWith("/tasks/") && req.method === "GET") {
      const id = decodeURIComponent(url.pathname.slice("/tasks/".length));
      let result;
      try {
        // Reads the row: works for ids enqueued by an earlier run of this server, or by anyone.
        result = await sendWelcomeEmail.getResult(id);
      } catch (error) {
        if (error instanceof TaskResultDoesNotExist) return send(res, 404, { error: `No result ${id}` });
        throw error;
      }
      const body = { id, status: result.status, attempts: result.attempts, progress: result.progress };
      const workerId = result.workerIds.at(-1);
      if (workerId !== undefined) body.workerId = workerId;
      if (result.status === "SUCCESSFUL") body.returnValue = result.returnValue;
      if (result.status === "FAILED") body.error = result.errors.at(-1)?.message ?? "failed";
      return send(res, 200, body);
    }
    send(res, 404, { error: "try POST /tasks?user=42 or GET /tasks/:id" });
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
    // Closes the database connection; the rows stay for the next start.
    void closeAll();
  });
}
