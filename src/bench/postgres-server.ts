import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/*
 * A throwaway PostgreSQL server for the tests and `tasklane bench`: initdb into a temp directory, served on a unix
 * socket in that same directory only (no TCP port to collide with), with durability switched off
 * for speed. About one second to boot on the 2-core machine.
 */

const run = promisify(execFile);

/** Where Debian puts the server binaries: /usr/lib/postgresql/<version>/bin. */
const DEBIAN_ROOT = "/usr/lib/postgresql";

/** The bin directory of the newest installed server, or an explanation why there is none. */
export function findPostgresBin(): { bin: string } | { missing: string } {
  const fromEnv = process.env.TASKLANE_PG_BIN;
  if (fromEnv) {
    return existsSync(join(fromEnv, "pg_ctl"))
      ? { bin: fromEnv }
      : { missing: `TASKLANE_PG_BIN=${fromEnv} has no pg_ctl` };
  }
  const versions = existsSync(DEBIAN_ROOT)
    ? readdirSync(DEBIAN_ROOT)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(DEBIAN_ROOT, v, "bin", "pg_ctl")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    return { missing: `no PostgreSQL server binaries under ${DEBIAN_ROOT}/<version>/bin (apt-get install postgresql)` };
  }
  return { bin: join(DEBIAN_ROOT, newest, "bin") };
}

export interface PostgresServer {
  /** The directory holding the unix socket (PGHOST). */
  readonly socketDir: string;
  /** A URL for `database` as the superuser, over the socket. */
  url(database: string): string;
  /** Stops the server at once (no checkpoint) and starts it again on the same data. */
  restart(): Promise<void>;
  /** Stops the server abruptly and deletes its files. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Keep fsync and synchronous_commit on (for the durable benchmark). @defaultValue false */
  readonly durable?: boolean;
  /**
   * Keep synchronous_commit on (fsync may stay off): needed where the test crashes the server with
   * an immediate stop and counts committed rows afterwards, since an asynchronous commit can be
   * lost by a crash. @defaultValue the value of `durable`
   */
  readonly synchronousCommit?: boolean;
  readonly maxConnections?: number;
  /** More `-c name=value` settings. */
  readonly extra?: readonly string[];
}

/**
 * initdb refuses to run as root, so as root the server runs as the `postgres` system user on a
 * directory it owns; as anyone else it runs as the current user.
 */
export async function startPostgres(bin: string, options: StartOptions = {}): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), "tasklane-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, postgresUid(), postgresGid());
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  const as = (cmd: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]) : run(join(bin, cmd), args);

  const settings = [
    "-c listen_addresses=''",
    `-k ${dir}`,
    `-c max_connections=${options.maxConnections ?? 100}`,
    ...(options.durable ? [] : ["-c fsync=off", "-c full_page_writes=off"]),
    ...((options.synchronousCommit ?? options.durable) ? [] : ["-c synchronous_commit=off"]),
    ...(options.extra ?? []),
  ].join(" ");
  const ctl = (args: string[]) => as("pg_ctl", ["-D", data, "-l", log, ...args]);
  const start = () => ctl(["-w", "-t", "30", "-o", settings, "start"]);
  const explain = (step: string, error: unknown) =>
    new Error(`throwaway PostgreSQL server: ${step} failed in ${dir}: ${String(error)}\n${readLog(log)}`);

  try {
    await as("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw explain("initdb", error);
  }
  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw explain("pg_ctl start", error);
  }

  const watcher = watchOwner(ctlCommand(asRoot, bin, data), dir);
  let stopped = false;
  return {
    socketDir: dir,
    url: (database) => `postgres:///${database}?host=${encodeURIComponent(dir)}&user=postgres`,
    async restart() {
      await ctl(["-m", "immediate", "-w", "stop"]);
      try {
        await start();
      } catch (error) {
        throw explain("pg_ctl restart", error);
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await ctl(["-m", "immediate", "-w", "stop"]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      // Nothing left for it to clean up; `tasklane bench` counts the children it leaves behind.
      // Its group: the `sleep` it is in would otherwise linger for up to a second.
      try {
        if (watcher.pid !== undefined) process.kill(-watcher.pid, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/**
 * A detached shell that outlives this process: when it is gone (finished, crashed or SIGKILLed
 * by a timeout, when no teardown runs) it stops the server and deletes its files, so no test run
 * leaves a server behind.
 */
function watchOwner(stop: string, dir: string): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stop} >/dev/null 2>&1; rm -rf '${dir}'`;
  const watcher = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  watcher.unref();
  return watcher;
}

function ctlCommand(asRoot: boolean, bin: string, data: string): string {
  const ctl = `'${join(bin, "pg_ctl")}' -D '${data}' -m immediate -w stop`;
  return asRoot ? `runuser -u postgres -- ${ctl}` : ctl;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-2000);
  } catch {
    return "";
  }
}

function postgresUid(): number {
  return passwdField(2);
}

function postgresGid(): number {
  return passwdField(3);
}

function passwdField(index: number): number {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const value = Number(line?.split(":")[index]);
  if (!Number.isInteger(value)) throw new Error("throwaway PostgreSQL server: no `postgres` user in /etc/passwd");
  return value;
}
