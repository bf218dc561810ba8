/**
 * Child-process workers. The channel is an extra stdio pipe (fd 3, a socket pair) carrying JSON
 * lines, rather than Node's IPC channel: one read can then hold many batches, which one
 * `JSON.parse` turns into frames (see framing.ts), while the IPC channel parses and emits every
 * message on its own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { LineReader } from "../framing.ts";
import { childExecArgv, workerEntryUrl } from "./entry.ts";
import type { Runtime, RuntimeHooks, RuntimeWorker, WorkerExit } from "./types.ts";

/** How long a child may take to finish its current job after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 1_000;

/**
 * Each child leads a process group of its own (POSIX; `detached` makes it a session leader), which
 * does two things: the signals the pool sends reach whatever its tasks started (a `sh -c ffmpeg …`
 * is killed along with its worker, not left to init), and a terminal's Ctrl-C, sent to the
 * foreground group, reaches only the application, whose handler decides (e.g. `closeAll()`).
 * Children still end with their parent: they watch the channel (see process-entry.ts).
 */
const OWN_GROUP = process.platform !== "win32";

/** Starts child-process workers running `process-entry`. */
export class ProcessRuntime implements Runtime {
  readonly kind = "process" as const;
  readonly #argv: string[];

  constructor(extraExecArgv: readonly string[] = []) {
    this.#argv = [...childExecArgv(extraExecArgv), fileURLToPath(workerEntryUrl("process"))];
  }

  spawn(hooks: RuntimeHooks): RuntimeWorker {
    const child = spawn(process.execPath, this.#argv, {
      stdio: ["ignore", "inherit", "inherit", "pipe"],
      detached: OWN_GROUP,
      windowsHide: true,
    });
    return new ProcessWorker(child, hooks);
  }
}

class ProcessWorker implements RuntimeWorker {
  readonly id: string;
  readonly pid: number | null;
  readonly threadId = null;
  readonly #child: ChildProcess;
  readonly #channel: Socket;
  #exited = false;
  #killTimer: NodeJS.Timeout | null = null;

  constructor(child: ChildProcess, hooks: RuntimeHooks) {
    this.#child = child;
    this.pid = child.pid ?? null;
    this.id = String(child.pid ?? "unspawned");
    const channel = child.stdio[3] as Socket;
    this.#channel = channel;

    // The pool holds the event loop open while it has work; an idle worker must not.
    child.unref();
    channel.unref();
    channel.setEncoding("utf8");
    const reader = new LineReader();
    channel.on("data", (chunk: string) => {
      const batches = reader.push(chunk);
      if (batches !== null) hooks.onBatches(batches);
    });
    // EPIPE/ECONNRESET when the child dies mid-write; its exit is reported through "close".
    channel.on("error", () => {});

    const exit = (info: WorkerExit): void => {
      if (this.#exited) return;
      this.#exited = true;
      if (this.#killTimer !== null) clearTimeout(this.#killTimer);
      // What its tasks started and left running goes with the worker, however it ended.
      if (this.pid !== null) this.#signal("SIGKILL");
      hooks.onExit(info);
    };
    // "close" rather than "exit": it comes after the channel has delivered everything the child wrote.
    child.on("close", (code, signal) => exit({ code, signal, reason: null }));
    child.on("error", (error) => {
      // Without a pid the process never started, and "close" may never come.
      if (child.pid === undefined) exit({ code: null, signal: null, reason: `spawn failed: ${error.message}` });
    });
  }

  send(frames: readonly unknown[]): void {
    if (!this.#exited) this.#channel.write(JSON.stringify(frames) + "\n");
  }

  kill(): void {
    if (this.#exited || this.#killTimer !== null) return;
    this.#signal("SIGTERM");
    this.#killTimer = setTimeout(() => this.#signal("SIGKILL"), KILL_GRACE_MS);
  }

  terminate(): void {
    if (!this.#exited) this.#signal("SIGKILL");
  }

  /** Signals the child's process group, or the child alone where there is none. */
  #signal(signal: NodeJS.Signals): void {
    if (OWN_GROUP && this.pid !== null) {
      try {
        process.kill(-this.pid, signal);
        return;
      } catch {
        // ESRCH: the group is empty (after the exit, the usual case) or was never made.
      }
    }
    this.#child.kill(signal);
  }

  describeExit(exit: WorkerExit): string {
    return `Worker process ${this.pid ?? "(not started)"} exited with code ${exit.code} (signal ${exit.signal ?? "none"})`;
  }
}
