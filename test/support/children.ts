import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

/** A child process run with `node --import tsx`, its stdout read line by line. */
export interface LineChild {
  readonly process: ChildProcess;
  /** Resolves with the first stdout line matching `test` (rejects if the child exits first). */
  waitFor(test: (line: string) => boolean): Promise<string>;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the child exited. */
  exited(): Promise<number | null>;
}

export function spawnTs(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): LineChild {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env,
  });
  const lines: string[] = [];
  const waiters = new Set<{ test: (line: string) => boolean; resolve: (line: string) => void }>();
  let err = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.test(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  const exit = once(child, "exit").then(([code]) => code as number | null);
  return {
    process: child,
    lines,
    stderr: () => err,
    exited: () => exit,
    waitFor(test) {
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        waiters.add({ test, resolve });
        void exit.then((code) => reject(new Error(`child exited (${code}) before the line; stderr:\n${err}`)));
      });
    },
  };
}
