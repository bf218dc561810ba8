import { describe, expect, it } from "vitest";
import { expectNoLeftovers, runExample } from "./support.ts";

describe("examples/notify", () => {
  it("retries a failing endpoint with backoff, gives up after the last attempt, and never retries a 410", async () => {
    const run = await runExample(["examples/notify/main.mjs"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    // flaky: two 503s, each reported from inside the task, then delivered.
    expect(run.stdout.match(/endpoint: POST \/hooks\/flaky -> 503/g)).toHaveLength(2);
    expect(run.stdout).toMatch(/task flaky: attempt 1 failed \(HTTP 503\); retrying in \d+ ms/);
    expect(run.stdout).toMatch(/task flaky: attempt 2 failed \(HTTP 503\); retrying in \d+ ms/);
    expect(run.stdout).toContain("=> SUCCESSFUL: delivered with HTTP 200 on attempt 3 of 4");
    // down: bounded attempts.
    expect(run.stdout.match(/endpoint: POST \/hooks\/down -> 503/g)).toHaveLength(4);
    expect(run.stdout).toContain("=> FAILED: Notification not delivered after 4 attempts; last: HTTP 503");
    // gone: one request only.
    expect(run.stdout.match(/endpoint: POST \/hooks\/gone -> 410/g)).toHaveLength(1);
    expect(run.stdout).toContain("=> FAILED: Notification refused with HTTP 410 (attempt 1); not retrying");
    expect(run.stdout).toContain('The endpoint received 1 notification(s): ["Order #1 has shipped"]');
    await expectNoLeftovers(run.pid);
  });
});
