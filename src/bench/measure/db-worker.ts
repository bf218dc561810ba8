import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** dist/cli/main.js, next to this file's dist/bench/measure/. */
const MAIN_JS = fileURLToPath(new URL("../../cli/main.js", import.meta.url));

/**
 * One `tasklane worker` run as a user runs it: `node dist/cli/main.js worker --config <file>` in its
 * own process, stopped with SIGTERM (the graceful stop) and, should that hang, SIGKILL.
 */
export class WorkerProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #stderr = "";

  constructor(cwd: string, config: string, concurrency: number, intervalSeconds: number) {
    if (!existsSync(MAIN_JS)) throw new Error(`benchmark: ${MAIN_JS} is missing: npm run build first`);
    const args = [
      MAIN_JS,
      "worker",
      "--config",
      config,
      "--concurrency",
      String(concurrency),
      "--interval",
      String(intervalSeconds),
      "--no-startup-delay",
    ];
    this.#child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    this.#child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      // The log at -v 1 is a few lines (started, stopping, stopped, failures); keep the tail only.
      this.#stderr = (this.#stderr + d).slice(-4000);
    });
    this.#exited = new Promise((resolve) => this.#child.once("close", (code) => resolve(code)));
  }

  /** The worker's log so far, for an error message. */
  get log(): string {
    return this.#stderr;
  }

  /** Throws with the worker's log when it has exited (a wait on it would never end). */
  checkAlive(): void {
    const { exitCode, signalCode } = this.#child;
    if (exitCode === null && signalCode === null) return;
    throw new Error(`benchmark: tasklane worker exited early (${exitCode ?? signalCode}):\n${this.#stderr}`);
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill("SIGTERM");
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
