// A task that posts a notification to an HTTP endpoint, retrying failures with backoff.
//
// tasklane has no built-in retries yet: a later release adds them as task options
// (`maxAttempts` / `backoff`), and this loop then becomes configuration. Until then the task
// retries by itself, with a bounded number of attempts, so the whole retry stays one tasklane
// attempt (result.attempts is 1) and each try is reported as progress.
import { task } from "tasklane";

/** Answers that are worth another try: overloaded or briefly unavailable endpoints. */
const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export const notify = task(
  import.meta,
  { takesContext: true },
  async function notify(context, url, message, retry = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2000 }) {
    const { maxAttempts, baseDelayMs, maxDelayMs } = retry;
    let lastProblem = "no attempt made";
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ message, resultId: context.taskResult.id }),
          signal: AbortSignal.timeout(5000), // a hung endpoint counts as a failed attempt
        });
        await response.body?.cancel(); // the answer's body is not needed; free the connection
      } catch (error) {
        lastProblem = error instanceof Error ? error.message : String(error);
      }
      if (response?.ok) return { delivered: true, attempts: attempt, status: response.status };
      if (response && !RETRYABLE.has(response.status)) {
        // A 4xx other than the above will fail the same way every time: do not retry it.
        throw new Error(`Notification refused with HTTP ${response.status} (attempt ${attempt}); not retrying`);
      }
      if (response) lastProblem = `HTTP ${response.status}`;
      if (attempt === maxAttempts) break;
      // Exponential backoff, half of it jittered so that many failing tasks do not retry in lockstep.
      const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(cap / 2 + (Math.random() * cap) / 2);
      context.reportProgress({
        current: attempt,
        total: maxAttempts,
        message: `attempt ${attempt} failed (${lastProblem}); retrying in ${delayMs} ms`,
      });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    throw new Error(`Notification not delivered after ${maxAttempts} attempts; last: ${lastProblem}`);
  },
);
