// The raw floor for a thread round trip: a worker thread that echoes every message.
import { parentPort } from "node:worker_threads";

parentPort.on("message", (message) => {
  parentPort.postMessage(message);
});
