/**
 * The database backend's tests: a fresh SQLite file per test, a config file naming it, and real
 * `tasklane worker` processes (the built CLI) that claim from it. Workers start in process groups
 * of their own so a test can kill one with its children, and every group still running when the
 * test process ends goes with it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { configure } from "../../src/index.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = join(ROOT, "dist", "cli", "main.js");
export const TASKS = fileURLToPath(new URL("../fixtures/db/tasks.ts", import.meta.url));

const groups = new Set<number>();
process.on("exit", () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

export interface Database {
  readonly dir: string;
  readonly file: string;
  readonly url: string;
  /** A config file with `default` (database, queues default/emails/reports) and `inline` (immediate). */
  readonly config: string;
  /** A log file tasks can append to. */
  readonly log: string;
  /** Configures this process with the same configuration. */
  use(): void;
  /** The lines of the log file (empty when it does not exist yet). */
  lines(): string[];
  remove(): void;
}

export interface DatabaseOptionsForTest {
  leaseMs?: number;
  queues?: Record<string, { maxWorkers: number }>;
  cancelGraceMs?: number;
}

export function tempDatabase(options: DatabaseOptionsForTest = {}): Database {
  const dir = mkdtempSync(join(tmpdir(), "tasklane-db-"));
  const file = join(dir, "tasks.db");
  const log = join(dir, "log.txt");
  const entry = {
    backend: "database",
    queues: ["default", "emails", "reports"],
    options: { url: `sqlite:${file}`, ...options },
  };
  const configObject = { default: entry, inline: { backend: "immediate" } };
  const config = join(dir, "tasklane.config.json");
  writeFileSync(config, JSON.stringify(configObject, null, 2));
  return {
    dir,
    file,
    url: `sqlite:${file}`,
    config,
    log,
    use: () => configure(configObject as Parameters<typeof configure>[0]),
    lines: () => {
      try {
        return readFileSync(log, "utf8")
          .split("\n")
          .filter((l) => l !== "");
      } catch {
        return [];
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Run {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when a signal ended it) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stderr (the worker's log) matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts `node dist/cli/main.js <args>` in `cwd`, in its own process group; killed at the deadline. */
export function cli(args: readonly string[], cwd: string, deadlineMs = 60_000): Run {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error("could not start the CLI");
  const pid = child.pid;
  groups.add(pid);
  let stdout = "";
  let stderr = "";
  const watchers = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    for (const w of watchers) w();
  });
  const deadline = setTimeout(() => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }, deadlineMs);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(deadline);
      for (const w of watchers) w();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    pid,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) finish(null);
          else if (done) finish(new Error(`the process exited without ${pattern} in its log:\n${stderr}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} within ${timeoutMs} ms:\n${stderr}`)),
          timeoutMs,
        );
        const finish = (error: Error | null) => {
          clearTimeout(timer);
          watchers.delete(check);
          if (error) reject(error);
          else resolve();
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/** `tasklane worker --config <db> --no-startup-delay …args`. */
export function worker(db: Database, args: readonly string[] = [], deadlineMs = 60_000): Run {
  return cli(["worker", "--config", db.config, "--no-startup-delay", "-v", ...args], db.dir, deadlineMs);
}

/** Whether a process is still there (not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls `condition` (every 20 ms) until it holds; fails with `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
