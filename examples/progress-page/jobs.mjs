// The server's memory of jobs: which visitor started which job, its latest state, and who is
// listening. It is what lets a reloaded page get its bars back, and where the limits live.

/** The page's words for the four result states. */
const STATUS = { READY: "waiting", RUNNING: "running", SUCCESSFUL: "done", FAILED: "failed" };

/**
 * @param {{ maxActivePerClient: number, maxActiveTotal: number, maxJobsPerClient: number,
 *   maxClients: number, maxStreamsPerClient: number }} limits
 */
export function createJobBoard(limits) {
  /** client id -> { jobs: Map<result id, job>, next: number, active: number, streams: Set<send> } */
  const clients = new Map();
  const ownerOf = new Map(); // result id -> client
  let activeTotal = 0; // waiting or running (or being enqueued), all clients together

  /** The client's record, created on first sight; null when the board is full of busy clients. */
  function clientFor(id) {
    let client = clients.get(id);
    if (client) {
      clients.delete(id); // re-insert: Map order is then least recently seen first
    } else {
      if (clients.size >= limits.maxClients && !evictIdleClient()) return null;
      client = { jobs: new Map(), next: 1, active: 0, streams: new Set() };
    }
    clients.set(id, client);
    return client;
  }

  function evictIdleClient() {
    for (const [id, client] of clients) {
      if (client.active === 0 && client.streams.size === 0) {
        for (const jobId of client.jobs.keys()) ownerOf.delete(jobId);
        clients.delete(id);
        return true;
      }
    }
    return false;
  }

  function broadcast(client, job) {
    for (const send of client.streams) send("job", job);
  }

  /** Copies a TaskResult snapshot into the job the page sees; frees the slot when it finished. */
  function apply(client, job, result) {
    job.status = STATUS[result.status];
    const p = result.progress;
    if (p !== null) job.percent = Math.floor(100 * (typeof p === "number" ? p : p.current / Math.max(1, p.total)));
    if (result.status === "SUCCESSFUL") job.percent = 100;
    job.worker = result.workerIds.at(-1) ?? null;
    job.startedAt = result.startedAt?.getTime() ?? null;
    job.finishedAt = result.finishedAt?.getTime() ?? null;
    if (result.status === "FAILED") job.error = result.errors.at(-1)?.message ?? "failed";
    if (result.isFinished && job.active) {
      job.active = false;
      client.active--;
      activeTotal--;
    }
  }

  /** Keeps the newest jobs of a client; finished ones go first, oldest first. */
  function trim(client) {
    for (const [id, job] of client.jobs) {
      if (client.jobs.size <= limits.maxJobsPerClient) return;
      if (!job.active) {
        client.jobs.delete(id);
        ownerOf.delete(id);
      }
    }
  }

  return {
    /**
     * Starts a job for a client with `enqueue()` (which returns a TaskResult), or refuses with an
     * HTTP status and a message the page shows as it is.
     */
    async start(clientId, kind, enqueue) {
      const client = clientFor(clientId);
      if (!client)
        return { ok: false, status: 503, error: "The server is busy with other visitors; try again shortly." };
      if (client.active >= limits.maxActivePerClient) {
        return {
          ok: false,
          status: 429,
          error:
            `You already have ${client.active} jobs waiting or running, the most one visitor may have. ` +
            "Start more when some have finished.",
        };
      }
      if (activeTotal >= limits.maxActiveTotal) {
        return {
          ok: false,
          status: 503,
          error: `The server is running its maximum of ${limits.maxActiveTotal} jobs for everyone; try again shortly.`,
        };
      }
      // Take the slot before awaiting, so concurrent requests cannot both pass the checks above.
      client.active++;
      activeTotal++;
      let result;
      try {
        result = await enqueue();
      } catch (error) {
        client.active--;
        activeTotal--;
        throw error;
      }
      const job = { id: result.id, no: client.next++, kind, status: "waiting", percent: 0, active: true };
      job.enqueuedAt = result.enqueuedAt.getTime();
      client.jobs.set(job.id, job);
      ownerOf.set(job.id, client);
      apply(client, job, result);
      trim(client);
      broadcast(client, job);
      return { ok: true, job };
    },

    /** Feeds a task event's result snapshot in; the job's owner hears about it. */
    update(result) {
      const client = ownerOf.get(result.id);
      const job = client?.jobs.get(result.id);
      if (!client || !job) return;
      apply(client, job, result);
      broadcast(client, job);
    },

    /**
     * Adds a listener (`send(event, data)`) for a client's jobs and replays their state to it at
     * once. Returns the function that removes it, or null when refused (too many tabs or clients).
     */
    subscribe(clientId, send) {
      const client = clientFor(clientId);
      if (!client || client.streams.size >= limits.maxStreamsPerClient) return null;
      client.streams.add(send);
      send("snapshot", { jobs: [...client.jobs.values()], limits });
      return () => client.streams.delete(send);
    },
  };
}
