import { describe, expect, it } from "vitest";
import { expectNoLeftovers, runExample } from "./support.ts";

describe("examples/queues", () => {
  it("runs reports and emails on lanes of their own, then on one shared lane, and prints the timings", async () => {
    const run = await runExample(["--import", "tsx", "examples/queues/main.ts"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Lanes per queue: emails 2 workers, reports 1");
    expect(run.stdout).toContain("For contrast, one shared lane of 2 workers for both queues");
    for (const label of ["report 2026-01", "report 2026-03", "email to user1", "email to user5"]) {
      expect(run.stdout.split(label).length - 1, label).toBe(2); // once per run
    }
    expect(run.stdout.match(/8 SUCCESSFUL, 0 FAILED/g)).toHaveLength(2);
    expect(run.stdout).toMatch(/Longest wait of an email: \d+ ms with lanes per queue, \d+ ms on one shared lane\./);
    await expectNoLeftovers(run.pid);
  }, 60_000);
});
