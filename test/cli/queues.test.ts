/**
 * Queues seen from the command line (issue 12, item 3): a task on a queue the configuration does not
 * list must not make its module unimportable, and the refusal names the task, the alias and the
 * queues the backend accepts.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { fixtures, stdoutJson, tasklane } from "./helpers.ts";

const config = ["--config", join(fixtures, "configs", "default-queue-only.json")];
const moduleUrl = pathToFileURL(join(fixtures, "queue-tasks.mjs")).href;

describe("tasklane run and a task on an unconfigured queue", () => {
  it("runs a sibling task of the same module", async () => {
    const run = await tasklane(["run", "queue-tasks.mjs#add", "1", "2", ...config]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(stdoutJson(run).returnValue).toBe(3);
  });

  it("runs the task itself on a queue the backend accepts (--queue)", async () => {
    const run = await tasklane(["run", "queue-tasks.mjs#report", '"2026-11"', "--queue", "emails", ...config]);
    expect(run.code, run.stderr).toBe(0);
    expect(stdoutJson(run).returnValue).toEqual({ month: "2026-11", rows: 42 });
  });

  it("refuses the task on its own queue, naming the task, the alias and the accepted queues", async () => {
    const run = await tasklane(["run", "queue-tasks.mjs#report", '"2026-11"', ...config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `Queue 'reports' is not valid for backend. (task ${moduleUrl}#report, backend 'default' accepts: default, emails)`,
    );
  });
});
