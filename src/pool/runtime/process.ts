/**
 * Child-process workers. The data channel is an extra stdio pipe (a socket pair) carrying JSON
 * lines, rather than Node's IPC channel: one read can then hold many batches, which one
 * `JSON.parse` turns into frames (see framing.ts), while the IPC channel parses and emits every
 * message on its own. A second pair, the control channel, reaches the child's control thread, which
 * answers while the child's main thread is busy (see src/worker/control-thread.ts).
 *
 * What comes out of a child is not trusted: a line that is not a batch of frames (a task wrote to
 * the fd), or frames the pool cannot handle, make it a protocol violation of that worker, which is
 * killed. Its exit then names the violation, and the pool settles what it held as for any crash.
 */
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { WithdrawResult } from "../../wire/claims.ts";
import { encodeBatch, encodeLine, LineReader, MalformedFrame } from "../../wire/framing.ts";
import { decodeValues } from "../../wire/payload.ts";
import { CONTROL_FD, DATA_FD } from "../../wire/protocol.ts";
import { childExecArgv, workerEntryUrl } from "./entry.ts";
import type { Runtime, RuntimeHooks, RuntimeWorker, WorkerExit } from "./types.ts";

/** How long a child may take to finish its current job after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 1_000;

/**
 * Each child leads a process group of its own (POSIX; `detached` makes it a session leader), which
 * does two things: the signals the pool sends reach whatever its tasks started (a `sh -c ffmpeg …`
 * is killed along with its worker, not left to init), and a terminal's Ctrl-C, sent to the
 * foreground group, reaches only the application, whose handler decides (e.g. `closeAll()`).
 * Children still end with their parent: their control thread watches the control channel (see
 * src/worker/control-thread.ts).
 */
const OWN_GROUP = process.platform !== "win32";

/** Nothing on fds 3.. below the channels, the two channels, nothing after. */
const STDIO: StdioOptions = (() => {
  const stdio: ("ignore" | "inherit" | "pipe")[] = ["ignore", "inherit", "inherit"];
  while (stdio.length < DATA_FD) stdio.push("ignore");
  stdio[DATA_FD] = "pipe";
  stdio[CONTROL_FD] = "pipe";
  return stdio;
})();

/** Starts child-process workers running `process-entry`. */
export class ProcessRuntime implements Runtime {
  readonly #argv: string[];

  constructor(extraExecArgv: readonly string[] = []) {
    this.#argv = [...childExecArgv(extraExecArgv), fileURLToPath(workerEntryUrl("process"))];
  }

  spawn(hooks: RuntimeHooks): RuntimeWorker {
    const child = spawn(process.execPath, this.#argv, { stdio: STDIO, detached: OWN_GROUP, windowsHide: true });
    return new ProcessWorker(child, hooks);
  }
}

/** A control-channel answer: `[seq, result, …]`. */
function isAnswers(value: unknown): value is unknown[] {
  if (!Array.isArray(value) || value.length % 2 !== 0) return false;
  for (const item of value) if (typeof item !== "number") return false;
  return true;
}

class ProcessWorker implements RuntimeWorker {
  readonly id: string;
  readonly pid: number | null;
  readonly threadId = null;
  readonly #child: ChildProcess;
  readonly #channel: Socket;
  readonly #control: Socket;
  readonly #reader = new LineReader();
  #exited = false;
  #killTimer: NodeJS.Timeout | null = null;
  /** Set once it broke the protocol: nothing more it sends is believed. */
  #violation: string | null = null;

  constructor(child: ChildProcess, hooks: RuntimeHooks) {
    this.#child = child;
    this.pid = child.pid ?? null;
    this.id = String(child.pid ?? "unspawned");
    const stdio = child.stdio as readonly unknown[];
    const channel = stdio[DATA_FD] as Socket;
    const control = stdio[CONTROL_FD] as Socket;
    this.#channel = channel;
    this.#control = control;

    // The pool holds the event loop open while it has work; an idle worker must not.
    child.unref();
    const reader = this.#reader;
    this.#listen(channel, (chunk) => {
      let batches: unknown[][] | null;
      try {
        batches = reader.push(chunk);
      } catch (error) {
        // What it sent before the bad line is real: a job that finished there is not blamed.
        if (error instanceof MalformedFrame && error.before.length > 0) hooks.onBatches(unpacked(error.before));
        throw error;
      }
      if (batches !== null) hooks.onBatches(unpacked(batches));
    });
    const answers = new LineReader(isAnswers);
    this.#listen(control, (chunk) => {
      const batches = answers.push(chunk);
      if (batches === null) return;
      for (const line of batches) {
        for (let i = 0; i < line.length; i += 2) hooks.onWithdrawn(line[i] as number, line[i + 1] as WithdrawResult);
      }
    });

    const exit = (info: WorkerExit): void => {
      if (this.#exited) return;
      this.#exited = true;
      if (this.#killTimer !== null) clearTimeout(this.#killTimer);
      // What its tasks started and left running goes with the worker, however it ended.
      if (this.pid !== null) this.#signal("SIGKILL");
      hooks.onExit(this.#violation === null ? info : { ...info, reason: this.#violation });
    };
    // "close" rather than "exit": it comes after the channels have delivered everything the child wrote.
    child.on("close", (code, signal) => exit({ code, signal, reason: null }));
    child.on("error", (error) => {
      // Without a pid the process never started, and "close" may never come.
      if (child.pid === undefined) exit({ code: null, signal: null, reason: `spawn failed: ${error.message}` });
    });
  }

  /** One of the channels: what it delivers is handled, or the worker broke the protocol. */
  #listen(socket: Socket, handle: (chunk: string) => void): void {
    socket.unref();
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      if (this.#violation !== null) return;
      try {
        handle(chunk);
      } catch (error) {
        this.#violate(error);
      }
    });
    // EPIPE/ECONNRESET when the child dies mid-write; its exit is reported through "close".
    socket.on("error", () => {});
  }

  #violate(error: unknown): void {
    const what =
      error instanceof MalformedFrame
        ? `it sent a malformed frame to the pool (${error.message})`
        : `the pool could not handle its frames (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`;
    this.#violation = `${what}; it was killed`;
    if (!this.#exited) this.#signal("SIGKILL");
  }

  send(frames: readonly unknown[]): void {
    if (!this.#exited) this.#channel.write(encodeLine(frames));
  }

  withdraw(seqs: readonly number[], evenImporting: boolean): null {
    if (this.#exited) return null;
    const asks: number[] = [];
    const flag = evenImporting ? 1 : 0;
    for (const seq of seqs) asks.push(seq, flag);
    this.#control.write(encodeBatch(asks));
    return null;
  }

  hasPendingInput(): boolean {
    return this.#reader.pending || this.#channel.readableLength > 0;
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

/** The batches of a line read, their packed values unpacked (JSON ones came parsed with the line). */
function unpacked(batches: unknown[][]): unknown[][] {
  for (const batch of batches) decodeValues(batch, false);
  return batches;
}
