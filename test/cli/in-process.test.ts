import { describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.ts";
import { runCli } from "../../src/cli/program.ts";
import { fixtures, immediateConfig } from "./helpers.ts";

/** Drives the program without a child process, collecting what it writes. */
async function inProcess(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    cwd: fixtures,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe("runCli in-process", () => {
  it("runs a task and returns the exit status", async () => {
    const run = await inProcess(["run", "-q", "tasks.ts#add", "2", "3", "--config", immediateConfig]);
    expect(run).toEqual({ code: 0, stdout: "5\n", stderr: "" });
  });

  it("returns 2 for bad input without throwing", async () => {
    const run = await inProcess(["run", "tasks.ts#add", "x", "--config", immediateConfig]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Task argument 1 (x) is not valid JSON");
  });

  it("returns 0 for --version", async () => {
    const run = await inProcess(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
