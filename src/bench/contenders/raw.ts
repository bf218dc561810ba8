import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { benchFile } from "../paths.ts";
import type { RawName } from "../types.ts";

/**
 * A raw floor: one echoing child process (IPC, JSON serialization, as `fork()` defaults to) or one
 * echoing worker thread, with nothing in between. One message in flight at a time, so a round trip
 * is the least any pool built on the same channel can take.
 */
export interface Pinger {
  readonly name: RawName;
  start(): Promise<void>;
  /** Sends one small message and resolves when its echo is back. */
  ping(): Promise<void>;
  /** Sends `count` messages at once and resolves when every echo is back: the channel's pipelined ceiling. */
  flood(count: number): Promise<void>;
  pids(): number[];
  close(): Promise<void>;
}

const message = { id: 0, ping: true };

/** `child_process.fork()` ping-pong. */
export class ForkPinger implements Pinger {
  readonly name = "raw-fork";
  #child: ChildProcess | null = null;
  readonly #echoes = new Echoes();

  async start(): Promise<void> {
    const child = fork(benchFile("ping-child.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.#child = child;
    child.on("message", this.#echoes.onEcho);
    await once(child, "spawn");
    for (let i = 0; i < 200; i++) await this.ping();
  }

  ping(): Promise<void> {
    return this.flood(1);
  }

  flood(count: number): Promise<void> {
    const child = this.#child;
    if (child === null) return Promise.reject(new Error("benchmark: raw fork not started"));
    const done = this.#echoes.expect(count);
    for (let i = 0; i < count; i++) child.send(message);
    return done;
  }

  pids(): number[] {
    return this.#child?.pid === undefined ? [] : [this.#child.pid];
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.disconnect();
    const kill = setTimeout(() => child.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(kill);
  }
}

/** `worker_threads` ping-pong. */
export class ThreadPinger implements Pinger {
  readonly name = "raw-thread";
  #worker: Worker | null = null;
  readonly #echoes = new Echoes();

  async start(): Promise<void> {
    const worker = new Worker(benchFile("ping-thread.mjs"));
    this.#worker = worker;
    worker.on("message", this.#echoes.onEcho);
    await once(worker, "online");
    for (let i = 0; i < 200; i++) await this.ping();
  }

  ping(): Promise<void> {
    return this.flood(1);
  }

  flood(count: number): Promise<void> {
    const worker = this.#worker;
    if (worker === null) return Promise.reject(new Error("benchmark: raw thread not started"));
    const done = this.#echoes.expect(count);
    for (let i = 0; i < count; i++) worker.postMessage(message);
    return done;
  }

  pids(): number[] {
    return [];
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }
}

/** Counts echoes and resolves the waiter once the expected number is back. */
class Echoes {
  #remaining = 0;
  #wake: (() => void) | null = null;

  expect(count: number): Promise<void> {
    if (this.#wake !== null) return Promise.reject(new Error("benchmark: one raw exchange at a time"));
    this.#remaining = count;
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  readonly onEcho = (): void => {
    if (--this.#remaining > 0) return;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  };
}
