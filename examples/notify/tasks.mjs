// A task that posts a notification to an HTTP endpoint. Retries are configuration, not code: the
// task throws on a failure worth retrying, and `maxAttempts` with `backoff` do the rest (each
// attempt may run on another worker; result.errors keeps one entry per failed attempt).
import { exponentialBackoff, task, UnrecoverableError } from "tasklane";

/** Answers that are worth another try: overloaded or briefly unavailable endpoints. */
const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export const notify = task(
  import.meta,
  {
    maxAttempts: 4,
    // 50–100 ms, then 100–200 ms, 200–400 ms: short for the demo; the default starts at about a second.
    backoff: exponentialBackoff({ baseMs: 100, maxMs: 1000 }),
    timeoutMs: 10_000, // a hung endpoint counts as a failed attempt
  },
  async function notify(url, message) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message }),
    });
    await response.body?.cancel(); // the answer's body is not needed; free the connection
    if (response.ok) return { delivered: true, status: response.status };
    if (!RETRYABLE.has(response.status)) {
      // A 4xx other than the above fails the same way every time: no retry can fix it.
      throw new UnrecoverableError(`Notification refused with HTTP ${response.status}; not retrying`);
    }
    throw new Error(`HTTP ${response.status} from the endpoint`);
  },
);
