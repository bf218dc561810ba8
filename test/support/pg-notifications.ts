import pg from "pg";

/*
 * A session that LISTENs and keeps what it heard, for tests about which notifications a statement
 * sends. Notifications arrive in commit order, so once a sentinel sent after some commits is heard,
 * everything those commits notified was heard too: the test waits for an event, not for time.
 */

const SENTINEL = "tasklane_test_sentinel";

export interface NotificationLog {
  /** `channel:payload` of every notification heard, oldest first (the sentinels included). */
  readonly heard: string[];
  /** Sends a sentinel from a session of its own and resolves once it was heard. */
  sentinel(label: string): Promise<void>;
  /** Resolves once `entry` (`channel:payload`) is among `heard`. */
  until(entry: string): Promise<void>;
  close(): Promise<void>;
}

export async function listenTo(url: string, channels: readonly string[]): Promise<NotificationLog> {
  const listener = new pg.Client({ connectionString: url });
  const sender = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), sender.connect()]);
  const heard: string[] = [];
  const waiting = new Set<{ entry: string; resolve: () => void }>();
  listener.on("notification", (n) => {
    heard.push(`${n.channel}:${n.payload ?? ""}`);
    for (const w of waiting) {
      if (heard.includes(w.entry)) {
        waiting.delete(w);
        w.resolve();
      }
    }
  });
  for (const channel of [...channels, SENTINEL]) await listener.query(`LISTEN "${channel}"`);
  const until = (entry: string) =>
    new Promise<void>((resolve) => {
      if (heard.includes(entry)) resolve();
      else waiting.add({ entry, resolve });
    });
  return {
    heard,
    until,
    async sentinel(label) {
      const heardIt = until(`${SENTINEL}:${label}`);
      await sender.query("SELECT pg_notify($1, $2)", [SENTINEL, label]);
      await heardIt;
    },
    async close() {
      await Promise.all([listener.end(), sender.end()]);
    },
  };
}
