/**
 * The control thread of a child-process worker: a small worker thread that services the control
 * channel while the child's main thread may be stuck in a synchronous task.
 *
 * - It answers the pool's requests to take back buffered jobs (recall, cancel) at once, by racing
 *   the main thread for each job's claim word (see src/wire/claims.ts).
 * - It is the child's parent-death watchdog: when the control channel ends (the parent died, by
 *   whatever signal), it kills the child's process group, or the child alone if it leads none. A
 *   `process.exit()` here would only end this thread.
 *
 * It runs as an eval'd CommonJS script without the child's flags (no tsx, no --import), so it starts
 * in a few milliseconds and loads nothing of the task's world.
 *
 * Requests are lines `[seq, evenImporting, seq, evenImporting, …]`; answers are lines
 * `[seq, result, seq, result, …]` with the results of `ClaimWords.withdraw`.
 */
import { CLAIM_SLOTS, LOST, TAKEN, TAKEN_IMPORTING } from "../wire/claims.ts";

// `withdraw` and `unclaimed` below are ClaimWords.withdraw and unclaimed() of claims.ts, in plain
// JavaScript: keep them in step.
export const CONTROL_THREAD_SOURCE = `"use strict";
const { workerData } = require("node:worker_threads");
const { Socket } = require("node:net");
const words = new Int32Array(workerData.claims);
const SLOTS = ${CLAIM_SLOTS}, TAG_SPAN = 2 ** 28, HALF_SPAN = 2 ** 27, IMPORTING = 1, WITHDRAWN = 3;
function unclaimed(word, seq) {
  if (word === 0) return true;
  const behind = (seq % TAG_SPAN) - (word >>> 2);
  const distance = behind < 0 ? behind + TAG_SPAN : behind;
  return distance > 0 && distance < HALF_SPAN;
}
function withdraw(seq, evenImporting) {
  const index = seq % SLOTS, tag = (seq % TAG_SPAN) * 4;
  for (;;) {
    const word = Atomics.load(words, index);
    let result;
    if (unclaimed(word, seq)) result = ${TAKEN};
    else if (word === tag + IMPORTING && evenImporting) result = ${TAKEN_IMPORTING};
    else return ${LOST};
    if (Atomics.compareExchange(words, index, word, tag + WITHDRAWN) === word) return result;
  }
}
function die() {
  try { process.kill(-process.pid, "SIGKILL"); } catch {}
  process.kill(process.pid, "SIGKILL");
}
const channel = new Socket({ fd: workerData.fd, readable: true, writable: true });
channel.setEncoding("utf8");
let rest = "";
channel.on("data", (chunk) => {
  const text = rest + chunk;
  const end = text.lastIndexOf("\\n");
  if (end < 0) { rest = text; return; }
  rest = text.slice(end + 1);
  const out = [];
  for (const line of text.slice(0, end).split("\\n")) {
    const asks = JSON.parse(line);
    for (let i = 0; i + 1 < asks.length; i += 2) out.push(asks[i], withdraw(asks[i], asks[i + 1] === 1));
  }
  channel.write(JSON.stringify(out) + "\\n");
});
channel.on("end", die);
channel.on("close", die);
channel.on("error", die);
`;
