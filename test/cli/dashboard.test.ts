/**
 * `tasklane dashboard` as a user runs it (the built CLI in a child process): what it refuses before
 * serving anything, and, over a backend that offers a dashboard source, that every request then
 * needs the token.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliMain, fixtures, immediateConfig, tasklane } from "./helpers.ts";

describe("tasklane dashboard", () => {
  it("refuses a non-loopback address without a token, before loading anything", async () => {
    for (const host of ["0.0.0.0", "::", "192.0.2.10"]) {
      // The config does not exist: the address is refused before it would be read.
      const run = await tasklane(["dashboard", "--host", host, "--config", "missing.json"]);
      expect(run.code, host).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(
        `tasklane dashboard: refusing to serve on ${host} without a token: anyone who can reach that address ` +
          "could see your tasks' arguments and cancel them. Pass --token <secret> (or set TASKLANE_DASHBOARD_TOKEN), " +
          "or keep the default --host 127.0.0.1.\n",
      );
    }
  });

  it("says the in-memory backends are shown by mounting the handler, not by this command", async () => {
    const run = await tasklane(["dashboard", "--config", immediateConfig, "--port", "0"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "tasklane dashboard: this command needs a database backend; backend 'default' is ImmediateBackend, whose " +
        "results live only in the process that enqueued them. For in-memory backends, mount dashboardHandler from " +
        '"tasklane/dashboard" in your app (see the README\'s Dashboard section).\n',
    );
    const unknown = await tasklane(["dashboard", "--config", immediateConfig, "--backend", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("tasklane dashboard: --backend nope: The connection 'nope' doesn't exist.\n");
    const badPort = await tasklane(["dashboard", "--port", "99999"]);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain("Not a port number (0 to 65535).");
  });

  it("serves a watchable backend on loopback, requiring the token on every request, until SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [cliMain, "dashboard", "--config", join("configs", "watchable.json"), "--port", "0", "--read-only"],
      {
        cwd: fixtures,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, TASKLANE_DASHBOARD_TOKEN: "tok-123" },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        const match = /on (http:\/\/127\.0\.0\.1:\d+\/), read-only\n/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`exited ${code} before serving:\n${stdout}${stderr}`)));
    });
    try {
      expect(stdout).toBe(
        `tasklane dashboard: backend 'default' on ${address}, read-only\n` +
          `Every request needs the token: open ${address}?token=<token> once.\n`,
      );
      expect((await fetch(`${address}api/counts`)).status).toBe(401);
      expect((await fetch(address)).status).toBe(401);
      const info = await fetch(`${address}api/info`, { headers: { Authorization: "Bearer tok-123" } });
      expect(info.status).toBe(200);
      expect(await info.json()).toMatchObject({ backend: "default", readOnly: true });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain("tasklane dashboard: SIGTERM, stopping\n");
    expect(stderr).toBe("");
  });
});
