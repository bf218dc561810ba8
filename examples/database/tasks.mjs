// The example's task: a slow, CPU-heavy "welcome email" (a stand-in for rendering a PDF or an image).
import { task } from "tasklane";

export const sendWelcomeEmail = task(
  import.meta,
  { takesContext: true, maxAttempts: 3 },
  function sendWelcomeEmail(context, userId) {
    let h = 0;
    for (let step = 1; step <= 10; step++) {
      for (let i = 0; i < 2_000_000; i++) h = (h * 31 + i + userId) | 0;
      context.reportProgress({ current: step, total: 10, message: "rendering" });
    }
    return { userId, sent: true, checksum: h >>> 0, attempt: context.attempt };
  },
);
