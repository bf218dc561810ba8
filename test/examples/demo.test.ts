import { describe, expect, it } from "vitest";
import { expectNoLeftovers, runExample } from "./support.ts";

// Timings are printed for people; the tests check what was done, never how fast.
function expectSummary(stdout: string): void {
  expect(stdout).toContain("Summary");
  expect(stdout).toContain("Results:      16 SUCCESSFUL, 0 FAILED");
  expect(stdout).toContain("Same as inline: yes, every report");
  expect(stdout).toMatch(/Workers: +reports on pid \d+; greetings on pid \d+/);
  expect(stdout).toMatch(/Process pool: .+ for the reports/);
  expect(stdout).toMatch(/Inline: .+ for the same reports/);
}

describe("npm start (examples/demo/main.mjs)", () => {
  it("prints plain progress lines when stdout is not a terminal, then the summary, and exits 0", async () => {
    const run = await runExample(["examples/demo/main.mjs"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/reports +100% +8\/8 done\n/);
    // 100% means every report finished, not that the last one reported its last pass.
    expect(run.stdout).not.toMatch(/reports +100% +[0-7]\/8 done/);
    expect(run.stdout).toContain('default 100%  8/8 done · last said "hello, Frances"');
    expect(run.stdout).not.toContain("█");
    expectSummary(run.stdout);
    await expectNoLeftovers(run.pid);
  }, 60_000);

  it("draws one bar per lane with --bars (what a terminal shows)", async () => {
    const run = await runExample(["examples/demo/main.mjs", "--bars"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/reports \|█+\| 100% \| 8\/8 done/);
    expect(run.stdout).not.toMatch(/reports \|█+\| 100% \| [0-7]\/8 done/);
    expect(run.stdout).toMatch(/default \|█+\| 100% \| 8\/8 done · last said "hello, Frances"/);
    expectSummary(run.stdout);
    await expectNoLeftovers(run.pid);
  }, 60_000);
});
