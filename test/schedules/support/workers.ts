/**
 * Real `tasklane worker` processes (the built CLI) evaluating schedules on one database, each
 * with a clock the test drives over the IPC channel (`TASKLANE_TEST_CLOCK`): the test moves every
 * worker's clock to the same instant at once and waits until each has finished the evaluation it
 * caused, so the workers race for the same slots without anyone sleeping through real minutes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = join(ROOT, "dist", "cli", "main.js");
/** The schedule tests' task module, for `task` in a declaration. */
export const TASKS = fileURLToPath(new URL("../../fixtures/schedules/tasks.ts", import.meta.url));

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface ClockedWorker {
  /** Resolves once the worker listens for its clock (it evaluates schedules). */
  readonly ready: Promise<void>;
  /** Moves the worker's clock to `to` and resolves once the evaluation it caused has finished. */
  advance(to: number): Promise<void>;
  /** Resolves once the worker's log matches `pattern`. */
  logged(pattern: RegExp): Promise<void>;
  /** SIGTERM (a graceful stop); resolves with the exit code. */
  stop(): Promise<number | null>;
  stderr(): string;
}

/**
 * Starts `tasklane worker --config <config>` with its schedule clock at `start`, and resolves once
 * it listens for the clock. By default it runs only the `default` queue, so the slots' tasks (on
 * `reports`) stay READY for the test to count.
 */
export async function clockedWorker(
  config: string,
  cwd: string,
  start: number,
  args: readonly string[] = ["--queue-name", "default", "--concurrency", "1"],
): Promise<ClockedWorker> {
  const worker = spawnClockedWorker(config, cwd, start, args);
  await worker.ready;
  return worker;
}

/** As `clockedWorker`, without waiting for it to listen for its clock. */
export function spawnClockedWorker(
  config: string,
  cwd: string,
  start: number,
  args: readonly string[] = ["--queue-name", "default", "--concurrency", "1"],
): ClockedWorker {
  const child = spawn(process.execPath, [CLI, "worker", "--config", config, "--no-startup-delay", "-vv", ...args], {
    cwd,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    env: { ...process.env, TASKLANE_TEST_CLOCK: String(start) },
  });
  running.add(child);
  let stderr = "";
  const watchers = new Set<() => void>();
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    for (const w of [...watchers]) w();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  const replies: { now: number }[] = [];
  const waiting: (() => void)[] = [];
  child.on("message", (m: { tasklaneClock?: string; now?: number }) => {
    if (m.tasklaneClock !== "ready" && m.tasklaneClock !== "advanced") return;
    replies.push({ now: m.now! });
    for (const w of waiting.splice(0)) w();
  });
  const nextReply = async (what: string): Promise<{ now: number }> => {
    while (replies.length === 0) {
      const gone = await Promise.race([
        new Promise<false>((resolve) => waiting.push(() => resolve(false))),
        exited.then(() => true),
      ]);
      if (gone && replies.length === 0) throw new Error(`the worker exited before ${what}:\n${stderr}`);
    }
    return replies.shift()!;
  };
  const ready = nextReply("listening for its clock").then(() => {});
  ready.catch(() => {});
  return {
    ready,
    logged(pattern) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) {
            watchers.delete(check);
            resolve();
          }
        };
        watchers.add(check);
        check();
        void exited.then(() => {
          if (watchers.delete(check)) reject(new Error(`the worker exited before logging ${pattern}:\n${stderr}`));
        });
      });
    },
    async advance(to) {
      child.send({ tasklaneClock: "advance", to });
      const reply = await nextReply(`reaching ${new Date(to).toISOString()}`);
      if (reply.now !== to) throw new Error(`the worker's clock is at ${reply.now}, not ${to}`);
    },
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
    stderr: () => stderr,
  };
}

/** Advances every worker to `to` at the same moment; resolves when all have evaluated. */
export async function advanceAll(workers: readonly ClockedWorker[], to: number): Promise<void> {
  await Promise.all(workers.map((w) => w.advance(to)));
}
