import { createServer, type Server } from "node:http";
import { type Command, InvalidArgumentError } from "commander";
import { closeAll, getBackend } from "../config.ts";
import { dashboardHandler } from "../dashboard/handler.ts";
import { isWatchable } from "../dashboard/resolve-source.ts";
import { isLoopback } from "../dashboard/security.ts";
import { CliError, EXIT_OK } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { applyConfig, findConfigFile, loadConfigFile } from "./load-config.ts";

/** The options of `tasklane dashboard`, as commander parses them. */
export interface DashboardCommandOptions {
  config?: string;
  backend: string;
  host: string;
  port: number;
  readOnly?: boolean;
  token?: string;
}

/** The environment variable that gives the token when `--token` does not. */
export const TOKEN_ENV = "TASKLANE_DASHBOARD_TOKEN";

const help = `
Examples:
  $ tasklane dashboard                                 http://127.0.0.1:8600/
  $ tasklane dashboard --backend jobs --read-only
  $ TASKLANE_DASHBOARD_TOKEN=s3cret tasklane dashboard --host 0.0.0.0

Serves a backend whose results live outside this process (the database
backend). The in-memory backends (immediate, dummy, thread-pool, process-pool)
hold their results in the process that enqueued them: mount dashboardHandler
from "tasklane/dashboard" in that process instead.

Binds 127.0.0.1 unless --host says otherwise; any other address needs a token
(--token or ${TOKEN_ENV}), and then every request must carry it.
Stop with Ctrl-C. Exit status: 0 stopped, 2 bad usage (nothing was served).`;

/** Adds `tasklane dashboard` to `program`; the command stores its exit status in `exit.code`. */
export function addDashboardCommand(program: Command, io: CliIo, exit: { code: number }): Command {
  return program
    .command("dashboard")
    .summary("serve the dashboard: see, filter and act on tasks in a browser")
    .option("--config <file>", "config file (default: the first of tasklane.config.{ts,mjs,js,json} here)")
    .option("--backend <alias>", "the configured backend alias to show", "default")
    .option("--host <address>", "address to listen on (non-loopback needs a token)", "127.0.0.1")
    .option("--port <n>", "port to listen on (0: any free port)", parsePort, 8600)
    .option("--read-only", "hide and refuse cancel and re-enqueue")
    .option("--token <secret>", `require this token on every request (default: $${TOKEN_ENV})`)
    .addHelpText("after", help)
    .action(async (options: DashboardCommandOptions) => {
      exit.code = await dashboardCommand(options, io, waitForStopSignal);
    });
}

/**
 * `tasklane dashboard`: checks the address and token, loads the backend, serves until `stopped`
 * resolves, then closes everything.
 * @returns 0 after a clean stop; 2 (with a message) for bad usage.
 */
export async function dashboardCommand(
  options: DashboardCommandOptions,
  io: CliIo,
  stopped: () => Promise<string>,
): Promise<number> {
  let server: Server | null = null;
  try {
    const token = options.token ?? (process.env[TOKEN_ENV] || null);
    // Before any import: a refused address costs nothing and serves nothing.
    if (!isLoopback(options.host) && token === null) {
      throw new CliError(
        `refusing to serve on ${options.host} without a token: anyone who can reach that address could see ` +
          `your tasks' arguments and cancel them. Pass --token <secret> (or set ${TOKEN_ENV}), ` +
          "or keep the default --host 127.0.0.1.",
      );
    }
    const configFile = findConfigFile(io.cwd, options.config);
    if (configFile !== null) applyConfig(await loadConfigFile(configFile));
    const backend = loadBackend(options.backend);
    if (!isWatchable(backend)) {
      throw new CliError(
        `this command needs a database backend; backend '${backend.alias}' is ${backend.constructor.name}, ` +
          "whose results live only in the process that enqueued them. For in-memory backends, mount " +
          'dashboardHandler from "tasklane/dashboard" in your app (see the README\'s Dashboard section).',
      );
    }
    const handler = dashboardHandler({ source: backend.dashboardSource(), readOnly: options.readOnly === true, token });
    server = createServer(handler);
    const address = await listen(server, options.host, options.port);
    const mode = options.readOnly === true ? ", read-only" : "";
    const hint = token === null ? "" : `Every request needs the token: open ${address}?token=<token> once.\n`;
    io.stdout(`tasklane dashboard: backend '${backend.alias}' on ${address}${mode}\n${hint}`);
    const signal = await stopped();
    io.stdout(`tasklane dashboard: ${signal}, stopping\n`);
    handler.close();
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`tasklane dashboard: ${error.message}\n`);
    return error.exitCode;
  } finally {
    if (server !== null) {
      server.closeAllConnections();
      server.close();
    }
    await closeAll({ timeoutMs: 1000 });
  }
}

function loadBackend(alias: string): ReturnType<typeof getBackend> {
  try {
    return getBackend(alias);
  } catch (error) {
    throw new CliError(`--backend ${alias}: ${(error as Error).message}`, undefined, { cause: error });
  }
}

/** Listens and resolves with the page's URL; a taken port or a bad address is a CliError. */
function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why = error.code === "EADDRINUSE" ? "the port is in use (pick another with --port)" : error.message;
      reject(new CliError(`cannot listen on ${host}:${port}: ${why}`, undefined, { cause: error }));
    });
    server.listen(port, host, () => {
      const bound = server.address();
      const actual = typeof bound === "object" && bound !== null ? bound.port : port;
      resolve(`http://${host.includes(":") ? `[${host}]` : host}:${actual}/`);
    });
  });
}

function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError("Not a port number (0 to 65535).");
  return port;
}
