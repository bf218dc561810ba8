import { describe, expect, it } from "vitest";
import { expectNoLeftovers, runExample } from "./support.ts";

const where = {
  immediate: "ran in this thread",
  "thread-pool": "ran in worker thread",
  "process-pool": "ran in child process",
} as const;

describe("examples/hello", () => {
  it.each(Object.entries(where))("runs the same task on %s", async (backend, ranIn) => {
    const run = await runExample(["--import", "tsx", "examples/hello/main.ts", backend]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`on ${backend}: ${backend === "immediate" ? "SUCCESSFUL" : "READY"}`);
    expect(run.stdout).toContain("finished: SUCCESSFUL, returnValue.sum = 5");
    expect(run.stdout).toContain(ranIn);
    await expectNoLeftovers(run.pid);
  });

  it("refuses an unknown backend with its usage line", async () => {
    const run = await runExample(["--import", "tsx", "examples/hello/main.ts", "carrier-pigeon"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "usage: node --import tsx examples/hello/main.ts [immediate|thread-pool|process-pool]",
    );
  });
});
