import { describe, expect, it } from "vitest";
import { expectNoLeftovers, runExample } from "./support.ts";

describe("examples/notify", () => {
  it("retries a failing endpoint with backoff, gives up after the last attempt, and never retries a 410", async () => {
    const run = await runExample(["examples/notify/main.mjs"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    // flaky: two 503s, each followed by a retry (maxAttempts/backoff), then delivered.
    expect(run.stdout.match(/endpoint: POST \/hooks\/flaky -> 503/g)).toHaveLength(2);
    expect(run.stdout).toContain('task flaky: attempt 2 after "HTTP 503 from the endpoint"');
    expect(run.stdout).toContain('task flaky: attempt 3 after "HTTP 503 from the endpoint"');
    expect(run.stdout).toContain("=> SUCCESSFUL: delivered with HTTP 200 on attempt 3 of 4");
    // down: bounded attempts.
    expect(run.stdout.match(/endpoint: POST \/hooks\/down -> 503/g)).toHaveLength(4);
    expect(run.stdout).toContain("=> FAILED on attempt 4 of 4: HTTP 503 from the endpoint");
    // gone: one request only (UnrecoverableError is not retried).
    expect(run.stdout.match(/endpoint: POST \/hooks\/gone -> 410/g)).toHaveLength(1);
    expect(run.stdout).toContain("=> FAILED on attempt 1 of 4: Notification refused with HTTP 410; not retrying");
    expect(run.stdout).toContain('The endpoint received 1 notification(s): ["Order #1 has shipped"]');
    await expectNoLeftovers(run.pid);
  });
});
