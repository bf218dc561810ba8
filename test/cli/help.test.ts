import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root, tasklane } from "./helpers.ts";

describe("help and version", () => {
  it("--help lists the commands, with examples", async () => {
    const run = await tasklane(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: tasklane \[options\] \[command\]/);
    expect(run.stdout).toMatch(/^ {2}run \[options\] <modulePath> \[jsonArgs\.\.\.\]/m);
    expect(run.stdout).toMatch(/^ {2}help \[command\]/m);
    expect(run.stdout).toContain("Examples:");
    expect(run.stdout).toContain("tasklane.config.json");
  });

  it("run --help documents every option, with examples and exit statuses", async () => {
    const run = await tasklane(["run", "--help"]);
    expect(run.code).toBe(0);
    for (const option of [
      "--config <file>",
      "--backend <alias>",
      "--queue <name>",
      "--priority <n>",
      "--timeout <ms>",
      "-q, --quiet",
    ]) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).toContain("$ tasklane run ./tasks.ts#add 1 2");
    expect(run.stdout).toContain("Exit status:");
  });

  it("help run is the same as run --help", async () => {
    const [viaHelp, viaOption] = await Promise.all([tasklane(["help", "run"]), tasklane(["run", "--help"])]);
    expect(viaHelp.stdout).toBe(viaOption.stdout);
  });

  it("--version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    const run = await tasklane(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });

  it("no command: help on stderr, exit 2", async () => {
    const run = await tasklane([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Usage: tasklane");
  });
});
