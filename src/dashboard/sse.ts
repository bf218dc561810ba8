import type { ServerResponse } from "node:http";
import { SECURITY_HEADERS } from "./security.ts";
import type { DashboardChange, DashboardSource } from "./source.ts";

/** Options of `SseHub`. */
export interface SseHubOptions {
  /** Open streams at most; one more is refused. */
  readonly maxClients: number;
  /** Changes are gathered for this long and sent as one event, the latest per result. */
  readonly flushMs: number;
  /** A comment line this often keeps idle proxies from closing the stream. */
  readonly heartbeatMs: number;
}

// A batch larger than this tells the page to reload its list instead of listing every change: in a
// flood, the rows a page shows are a small part of what changed anyway.
const MAX_BATCH = 200;
// A client this far behind (bytes not yet sent) is dropped; its browser reconnects and refetches.
const MAX_BACKLOG = 1 << 20;

/**
 * The Server-Sent Events streams of the open pages. The source is subscribed to only while at least
 * one page is open, so an unwatched backend pays nothing; changes are coalesced per result and sent
 * at most every `flushMs`, so a flood of tasks costs one event per interval, not one per change.
 */
export class SseHub {
  readonly #source: DashboardSource;
  readonly #options: SseHubOptions;
  readonly #clients = new Set<ServerResponse>();
  readonly #pending = new Map<string, DashboardChange>();
  #overflow = false;
  #flushTimer: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(source: DashboardSource, options: SseHubOptions) {
    this.#source = source;
    this.#options = options;
  }

  /** How many streams are open. */
  get size(): number {
    return this.#clients.size;
  }

  /** Starts a stream on `res`; false (nothing written) when `maxClients` are already open. */
  open(res: ServerResponse): boolean {
    if (this.#clients.size >= this.#options.maxClients) return false;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.write("retry: 2000\n\nevent: hello\ndata: {}\n\n");
    this.#clients.add(res);
    res.on("close", () => this.#drop(res));
    if (this.#unsubscribe === null) {
      this.#unsubscribe = this.#source.subscribe((change) => this.#queue(change));
      this.#heartbeat = setInterval(() => this.#broadcast(": keep-alive\n\n"), this.#options.heartbeatMs);
      this.#heartbeat.unref();
    }
    return true;
  }

  /** Ends every stream (a server shutting down would otherwise wait for the browsers). */
  close(): void {
    for (const res of [...this.#clients]) res.end();
    this.#stop();
  }

  #queue(change: DashboardChange): void {
    if (this.#pending.size >= MAX_BATCH && !this.#pending.has(change.row.id)) this.#overflow = true;
    else this.#pending.set(change.row.id, change);
    this.#flushTimer ??= setTimeout(() => this.#flush(), this.#options.flushMs);
  }

  #flush(): void {
    this.#flushTimer = null;
    const changes = [...this.#pending.values()];
    const data = JSON.stringify({ changes, overflow: this.#overflow });
    this.#pending.clear();
    this.#overflow = false;
    this.#broadcast(`event: changes\ndata: ${data}\n\n`);
  }

  #broadcast(text: string): void {
    for (const res of this.#clients) {
      if (res.writableLength > MAX_BACKLOG) res.destroy();
      else res.write(text);
    }
  }

  #drop(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0) this.#stop();
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    this.#pending.clear();
    this.#overflow = false;
  }
}
