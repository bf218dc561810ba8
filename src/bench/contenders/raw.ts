import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { MAX_HELD_PER_WORKER } from "../../pool/lane.ts";
import { childExecArgv } from "../../pool/runtime/entry.ts";
import { encodeBatch, LineReader } from "../../wire/framing.ts";
import { benchFile } from "../paths.ts";
import type { RawName } from "../types.ts";

/** Round trips before anything is counted, as a pool runs a few hundred tasks while it warms up. */
const WARM_UP_TRIPS = 300;

/** A pool contender's start() warms with floods, then single tasks: the floors get the same. */
async function warmUp(pinger: Pinger): Promise<void> {
  for (let i = 0; i < 3; i++) await pinger.flood(200);
  for (let i = 0; i < WARM_UP_TRIPS; i++) await pinger.ping();
}

/**
 * A raw floor: one echoing child process over the process pool's own channel (JSON lines on a
 * socket pair at fd 3, read with the pool's LineReader), or one echoing worker thread over
 * `postMessage`, as the thread pool uses. Nothing in between, and warmed like the pools (a few
 * hundred round trips before anything is counted), so that a round trip is the least a pool built
 * on that channel can take: a pool measured faster than its floor means the floor is wrong.
 */
export interface Pinger {
  readonly name: RawName;
  start(): Promise<void>;
  /** Sends one frame and resolves when its echo is back. */
  ping(): Promise<void>;
  /**
   * Sends `count` frames at once, in batches as large as a pool sends to one worker, and resolves
   * when every echo is back: the channel's ceiling.
   */
  flood(count: number): Promise<void>;
  pids(): number[];
  close(): Promise<void>;
}

/** A frame shaped like the pool's RUN frame for a no-op: key, ref, priority, args, result id, attempt, meta. */
const frame = [1, 0, 0, 0, [], "r", 1, 0];
const frames = (count: number): unknown[] => Array.from({ length: count }, () => frame);

/** A child process echoing JSON lines over fd 3, spawned as the process pool spawns its workers. */
export class ProcessPinger implements Pinger {
  readonly name = "raw-process";
  #child: ChildProcess | null = null;
  #channel: Socket | null = null;
  readonly #echoes = new Echoes();

  async start(): Promise<void> {
    const child = spawn(process.execPath, [...childExecArgv([]), fileURLToPath(benchFile("ping-process.mjs"))], {
      stdio: ["ignore", "inherit", "inherit", "pipe"],
      windowsHide: true,
    });
    this.#child = child;
    const channel = child.stdio[3] as Socket;
    this.#channel = channel;
    channel.setEncoding("utf8");
    const reader = new LineReader();
    channel.on("data", (chunk: string) => {
      const batches = reader.push(chunk);
      if (batches !== null) for (const batch of batches) this.#echoes.onEcho((batch as unknown[]).length);
    });
    channel.on("error", () => {});
    await once(child, "spawn");
    await warmUp(this);
  }

  ping(): Promise<void> {
    return this.flood(1);
  }

  flood(count: number): Promise<void> {
    const channel = this.#channel;
    if (channel === null) return Promise.reject(new Error("benchmark: raw process not started"));
    const done = this.#echoes.expect(count);
    // Batches as large as the pool ever sends to one worker in one write, so that no pool can beat it.
    for (let sent = 0; sent < count; sent += MAX_HELD_PER_WORKER) {
      channel.write(encodeBatch(frames(Math.min(MAX_HELD_PER_WORKER, count - sent))));
    }
    return done;
  }

  pids(): number[] {
    return this.#child?.pid === undefined ? [] : [this.#child.pid];
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    const channel = this.#channel;
    this.#channel = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    channel?.end();
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
    worker.on("message", (batch: unknown[]) => this.#echoes.onEcho(batch.length));
    await once(worker, "online");
    await warmUp(this);
  }

  ping(): Promise<void> {
    return this.flood(1);
  }

  flood(count: number): Promise<void> {
    const worker = this.#worker;
    if (worker === null) return Promise.reject(new Error("benchmark: raw thread not started"));
    const done = this.#echoes.expect(count);
    for (let sent = 0; sent < count; sent += MAX_HELD_PER_WORKER) {
      worker.postMessage(frames(Math.min(MAX_HELD_PER_WORKER, count - sent)));
    }
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

  onEcho(count: number): void {
    this.#remaining -= count;
    if (this.#remaining > 0) return;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
