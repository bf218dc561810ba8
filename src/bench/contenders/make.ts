import type { PoolBackendName } from "../types.ts";
import type { Contender } from "./contender.ts";
import { PeerContender } from "./peers.ts";
import { TasklaneContender } from "./tasklane.ts";

/** The contender for `backend` at `workers` (ignored by `immediate`, which runs inline). */
export function makeContender(backend: PoolBackendName, workers: number, maxResults: number): Contender {
  switch (backend) {
    case "immediate":
    case "thread-pool":
    case "process-pool":
      return new TasklaneContender(backend, workers, maxResults);
    case "tinypool-threads":
    case "tinypool-process":
    case "piscina":
      return new PeerContender(backend, workers);
  }
}
