// The task module of the hello example. A worker (thread or child process) imports this file by
// its URL and finds the task by its export name, which is why the function is named and exported
// under that same name.
import { threadId } from "node:worker_threads";
import { task } from "tasklane";

export const add = task(import.meta, function add(a: number, b: number) {
  // pid and threadId show where the task ran: this thread (immediate), a worker thread, or a child.
  return { sum: a + b, pid: process.pid, threadId };
});
