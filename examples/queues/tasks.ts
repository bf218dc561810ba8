// Tasks of the queues example: a slow report and a quick email, each on its own queue. The queue
// decides the pool lane, and each lane has its own workers (see main.ts).
import { task } from "tasklane";

/** Slow: about `ms` of CPU, as a month-end report might take. */
export const buildReport = task(import.meta, { queueName: "reports" }, function buildReport(month: string, ms: number) {
  const until = Date.now() + ms;
  let rows = 0;
  // Busy, not sleeping, so the worker is really occupied; for a set time rather than a set amount of
  // work, so the printed timings read the same on any machine.
  while (Date.now() < until) rows++;
  return { month, rows };
});

/** Quick: renders one email (a real app would hand it to its mail service here). */
export const sendEmail = task(import.meta, { queueName: "emails" }, function sendEmail(to: string, subject: string) {
  const body = `Hello ${to},\n\n${subject}\n`;
  return { to, bytes: body.length };
});
