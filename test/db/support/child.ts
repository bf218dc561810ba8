import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../fixtures/db/store-child.ts", import.meta.url));

/** One `store-child.ts` process: its JSON lines as they come, a way to cue it, its exit. */
export interface StoreChild {
  /** Resolves with the next line (from the start) whose event is `event`. */
  next(event: string): Promise<Record<string, unknown>>;
  /** Every line received so far. */
  readonly lines: Record<string, unknown>[];
  send(line: string): void;
  /** Resolves with the exit code; rejects with stderr when it is not 0. */
  readonly exited: Promise<number>;
  kill(): void;
}

export function spawnStoreChild(args: readonly string[]): StoreChild {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  const waiting: { event: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  const consumed = new Map<string, number>();
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout! }).on("line", (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const w of [...waiting]) {
      if (w.event === line.event) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line);
        break;
      }
    }
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on("exit", (code, signal) => {
      for (const w of waiting) w.resolve({ event: "exit-before-line", code, signal, stderr });
      if (code === 0) resolve(0);
      else reject(new Error(`store-child ${args.join(" ")} exited ${code ?? signal}:\n${stderr}`));
    });
  });
  // Tests that only await `next` must not leave an unhandled rejection behind.
  exited.catch(() => {});
  return {
    lines,
    next(event) {
      // Each call takes the next matching line after the ones already taken for that event.
      const taken = consumed.get(event) ?? 0;
      consumed.set(event, taken + 1);
      const already = lines.filter((l) => l.event === event)[taken];
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve) => {
        waiting.push({ event, resolve });
      });
    },
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
    exited,
    kill() {
      child.kill("SIGKILL");
    },
  };
}
