import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isAlive, until } from "../support/gate.ts";

const app = fileURLToPath(new URL("../fixtures/ts-app/app.ts", import.meta.url));

/** Runs the fixture app to completion (or kills it at the deadline) and returns what it printed. */
function runApp(backend: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", app, backend], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    // If the idle pool kept the app alive, this deadline is what ends it (and the test fails).
    const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.each(["process-pool", "thread-pool"])("an app run with node --import tsx on %s", (backend) => {
  it("enqueues tasks defined in .ts files, and exits by itself once the pool is idle", async () => {
    const { code, stdout, stderr } = await runApp(backend);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { values: unknown[]; statuses: string[]; workers: number[] };
    expect(report.statuses).toEqual(["SUCCESSFUL", "SUCCESSFUL"]);
    expect(report.values).toEqual([
      { id: "a", items: 5 },
      { id: "b", items: 0 },
    ]);
    if (backend === "process-pool") {
      // The children go with their parent.
      for (const pid of report.workers) await until(() => !isAlive(pid), `child ${pid} exits with its parent`);
    }
  });
});
