import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local HTTP server that lets a test hold tasks and release them on cue: the `gate` fixture task
 * fetches `gate.url(label)`, which is answered only when the test calls `release(label)`. The test
 * learns a task reached its gate through `arrived(label)`: events, not sleeps.
 */
export interface Gate {
  url(label: string): string;
  arrived(label: string): Promise<void>;
  release(label: string): void;
  close(): Promise<void>;
}

export async function openGate(): Promise<Gate> {
  const held = new Map<string, ServerResponse>();
  const arrivals = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const released = new Set<string>();
  const arrival = (label: string) => {
    let entry = arrivals.get(label);
    if (!entry) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      entry = { promise, resolve };
      arrivals.set(label, entry);
    }
    return entry;
  };
  const server = createServer((req, res) => {
    const label = decodeURIComponent((req.url ?? "/").slice(1));
    arrival(label).resolve();
    if (released.has(label)) res.end("ok");
    else held.set(label, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (label) => `http://127.0.0.1:${port}/${encodeURIComponent(label)}`,
    arrived: (label) => arrival(label).promise,
    release(label) {
      released.add(label);
      held.get(label)?.end("ok");
      held.delete(label);
    },
    async close() {
      for (const res of held.values()) res.end("closed");
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it returns true, failing after `timeoutMs`. For states with no event to await. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
