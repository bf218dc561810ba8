/**
 * Runs the examples as a user would (`node [--import tsx] examples/…`) and checks they leave no
 * process behind. Each example starts in a process group of its own, so every worker it forks can
 * be found (and, at a deadline, killed) through the group, whatever the example prints.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

// Groups still running when this test process ends (a failed or interrupted test) go with it:
// detached, they would otherwise outlive the suite.
const running = new Set<number>();
process.on("exit", () => {
  for (const pgid of running) killGroup(pgid);
});

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Example {
  readonly child: ChildProcess;
  /** The example's pid, which is also its process group id. */
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Settles when the example itself exits (its workers may still be going). */
  readonly exited: Promise<Exit>;
  /** Resolves with the first match of `pattern` in stdout; rejects if the example exits first or at the deadline. */
  output(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /**
   * Sends `signal` to the example alone (not its group), as a supervisor would, and waits for it to
   * exit; kills the group if it has not exited within `timeoutMs`.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/** Where an example runs: the repository root and this process's environment unless given. */
export interface StartOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

/**
 * Starts `node <args>` (in the repository root unless `options.cwd` says otherwise). At `deadlineMs`
 * the whole group is killed, so a hung example fails its test instead of hanging the suite.
 */
export function startExample(args: string[], deadlineMs = 60_000, options: StartOptions = {}): Example {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start node ${args.join(" ")}`);
  const pid = child.pid;
  let stdout = "";
  let stderr = "";
  const watchers = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    for (const w of watchers) w();
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  running.add(pid);
  const deadline = setTimeout(() => killGroup(pid), deadlineMs);
  const exited = new Promise<Exit>((resolve) => {
    child.on("exit", (code, signal) => {
      clearTimeout(deadline);
      // Workers left in the group are expectNoLeftovers' to report; only a group with none is done.
      if (groupMembers(pid).length === 0) running.delete(pid);
      for (const w of watchers) w();
      resolve({ code, signal });
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  return {
    child,
    pid,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    output(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} in output within ${timeoutMs} ms:\n${stdout}${stderr}`)),
          timeoutMs,
        );
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) finish(null, match);
          else if (hasExited || child.exitCode !== null)
            finish(new Error(`exited before printing ${pattern}:\n${stdout}${stderr}`));
        };
        function finish(error: Error | null, match?: RegExpMatchArray) {
          clearTimeout(timer);
          watchers.delete(check);
          if (error) reject(error);
          else resolve(match!);
        }
        watchers.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (hasExited) return exited;
      child.kill(signal);
      const timer = setTimeout(() => killGroup(pid), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs an example to its end; resolves with its exit and everything it printed. */
export async function runExample(
  args: string[],
  deadlineMs?: number,
): Promise<Exit & { stdout: string; stderr: string; pid: number }> {
  const example = startExample(args, deadlineMs);
  const exit = await example.exited;
  // Let the pipes drain: stdout may still hold the last lines after "exit".
  await new Promise<void>((resolve) => {
    if (example.child.stdout?.readableEnded !== false) resolve();
    else example.child.stdout.once("end", () => resolve());
    setTimeout(resolve, 2_000).unref();
  });
  return { ...exit, stdout: example.stdout(), stderr: example.stderr(), pid: example.pid };
}

/**
 * Waits until no live process is left in the example's process group (its forked workers exit with
 * it); kills the leftovers and throws, naming them, if some are still there at the deadline.
 */
export async function expectNoLeftovers(pgid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = groupMembers(pgid);
    if (left.length === 0) {
      running.delete(pgid);
      return;
    }
    if (Date.now() > deadline) {
      killGroup(pgid);
      throw new Error(`processes left behind by example ${pgid}: ${left.join(", ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Live (non-zombie) processes in a process group, read from /proc. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // it exited while we looked
    }
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses, so parse after the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") members.push(Number(entry));
  }
  return members;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Polls `check` until it resolves truthy; fails after `timeoutMs`. For states with no event to await. */
export async function poll<T>(
  check: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
