/**
 * Queue names (issue 12, item 3): checked against the backend when a task is used (enqueue,
 * using()), not when it is defined, so one task on an unconfigured queue cannot make its module
 * unimportable; the refusal names the task, the alias and the accepted queues; and a pool lane
 * declared under `options.queues` admits its own queue.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, configure, getBackend, InvalidTask, InvalidTaskBackend, task } from "../../src/index.ts";
import { add } from "../fixtures/pools/tasks.ts";

afterEach(async () => {
  await closeAll();
});

describe("a task's queue", () => {
  it("is not checked at definition, even once configured; enqueue refuses it with the task, alias and queues", async () => {
    configure({ default: { backend: "immediate", queues: ["default", "emails"] } });
    // Imported after configure(): its definitions used to be checked against the backend and fail.
    const { report, sibling } = await import("../fixtures/core/reports-queue.ts");
    expect((await sibling.enqueue()).returnValue).toBe("sibling");
    expect(report.queueName).toBe("reports");
    const refusal = `Queue 'reports' is not valid for backend. (task ${report.modulePath}, backend 'default' accepts: default, emails)`;
    await expect(report.enqueue()).rejects.toThrow(new InvalidTask(refusal));
    expect((await report.using({ queueName: "emails" }).enqueue()).returnValue).toBe(1);
  });

  it("using() refuses an unknown queue with the same message", () => {
    configure({ default: { backend: "immediate", queues: ["default"] }, other: { backend: "dummy", queues: ["x"] } });
    expect(() => add.using({ queueName: "nope" })).toThrow(
      new InvalidTask(
        `Queue 'nope' is not valid for backend. (task ${add.modulePath}, backend 'default' accepts: default)`,
      ),
    );
    expect(() => add.using({ backend: "other" })).toThrow(
      /^Queue 'default' is not valid for backend\. .*'other' accepts: x\)$/,
    );
  });

  it("an unknown backend alias is not checked at definition either, only when the task is used", async () => {
    configure({ default: { backend: "immediate" } });
    const elsewhere = task(import.meta, { backend: "nope" }, function elsewhere() {});
    await expect(elsewhere.enqueue()).rejects.toThrow(new InvalidTaskBackend("The connection 'nope' doesn't exist."));
  });
});

describe.each(["process-pool", "thread-pool"] as const)("%s: a lane under options.queues", (backend) => {
  it("admits its own queue although the queues list does not name it", async () => {
    configure({
      default: { backend, queues: ["default"], options: { maxWorkers: 1, queues: { reports: { maxWorkers: 1 } } } },
    });
    expect([...getBackend().queues].sort()).toEqual(["default", "reports"]);
    const result = await add.using({ queueName: "reports" }).enqueue(2, 3);
    expect((await result.wait({ timeoutMs: 20_000 })).returnValue).toBe(5);
    expect(() => add.using({ queueName: "emails" })).toThrow(
      /^Queue 'emails' is not valid for backend\. \(task .*#add, backend 'default' accepts: default, reports\)$/,
    );
  });

  it("leaves an empty queues list (any queue) as it is", () => {
    configure({ default: { backend, queues: [], options: { queues: { reports: { maxWorkers: 1 } } } } });
    expect(getBackend().queues.size).toBe(0);
    expect(add.using({ queueName: "anything" }).queueName).toBe("anything");
  });
});
