import { afterEach, describe, expect, it } from "vitest";
import { type Example, expectNoLeftovers, poll, startExample } from "./support.ts";

interface Status {
  id: string;
  status: string;
  percent: number;
  returnValue?: { n: number; primes: number };
}

describe("examples/http-offload", () => {
  let server: Example | null = null;
  afterEach(async () => {
    if (server) await expectNoLeftovers(server.pid);
    server = null;
  });

  async function start(): Promise<string> {
    server = startExample(["examples/http-offload/server.mjs", "0"]);
    const [, url] = await server.output(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);
    return url!;
  }

  const json = async (response: Response) => ({
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  });

  it("answers /work at once with an id, reports progress on /status, keeps /ping answering, and shuts down on SIGTERM", async () => {
    const url = await start();
    const status = async (id: string) => (await json(await fetch(`${url}/status/${id}`))).body as unknown as Status;

    // Several seconds of CPU in a worker; the server answers before any of it is done.
    const big = await fetch(`${url}/work?n=12000000`, { method: "POST" });
    expect(big.status).toBe(202);
    const { id: bigId, statusUrl } = (await big.json()) as { id: string; statusUrl: string };
    expect(big.headers.get("location")).toBe(statusUrl);

    // Progress comes from inside the child while it runs.
    await poll(async () => {
      const s = await status(bigId);
      return s.status === "RUNNING" && s.percent > 0;
    }, "the big job reports progress");

    const ping = await json(await fetch(`${url}/ping`));
    expect(ping.status).toBe(200);
    expect(ping.body.pong).toBe(true);
    expect(ping.body.workers).not.toHaveLength(0);

    // A small job goes to the other worker and finishes with its value.
    const small = (await json(await fetch(`${url}/work?n=100`, { method: "POST" }))).body as { id: string };
    const done = await poll(async () => {
      const s = await status(small.id);
      return s.status === "SUCCESSFUL" && s;
    }, "the small job finishes");
    expect(done.returnValue).toEqual({ n: 100, primes: 25 });
    expect(done.percent).toBe(100);

    // SIGTERM mid-work: the server closes the pool (failing the big job after a grace period) and exits 0.
    const exit = await server!.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server!.stdout()).toContain("SIGTERM: shutting down");
    expect(server!.stderr()).toBe("");
  });

  it("rejects bad input and unknown ids with a message", async () => {
    const url = await start();
    for (const n of ["abc", "1", "20000001", "2.5"]) {
      const bad = await json(await fetch(`${url}/work?n=${n}`, { method: "POST" }));
      expect(bad.status, n).toBe(400);
      expect(bad.body.error).toBe("n must be a whole number from 2 to 20000000");
    }
    const unknown = await json(await fetch(`${url}/status/no-such-id`));
    expect(unknown).toEqual({ status: 404, body: { error: "No result no-such-id" } });
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${url}/work?n=10`, { method: "DELETE" })).status).toBe(405);
    expect(await server!.stop("SIGINT")).toEqual({ code: 0, signal: null });
  });
});
