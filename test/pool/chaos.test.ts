/**
 * A seeded random mix of jobs that succeed, throw, kill their worker, hang past their timeout, or
 * get cancelled while queued, buffered or running: each must end the one way its kind allows, and
 * exactly once (the harness checks that on close).
 */
import { describe, expect, it } from "vitest";
import { TaskCancelled } from "../../src/errors.ts";
import { toTaskError } from "../../src/task-error.ts";
import { Gate, type Handle, Harness, type RuntimeKind } from "./harness.ts";

const JOBS = 600;
const CONTEXT = { id: "r", backend: "test", enqueuedAt: 0, startedAt: null, workerIds: [], errors: [] };
/** Kinds and their shares; crashes and hangs are rare because each costs a fork. */
const MIX: [string, number][] = [
  ["ok", 82],
  ["throw", 6],
  ["exit", 1],
  ["hang", 1],
  ["await-cancel", 5],
  ["cancel-soon", 5],
];
/** The classes each kind may end with ("ok": succeeded). A cancel may come after the job finished. */
const ALLOWED: Record<string, string[]> = {
  ok: ["ok"],
  throw: ["Error"],
  exit: ["WorkerCrashed"],
  hang: ["TaskTimeout"],
  "await-cancel": ["TaskCancelled"],
  "cancel-soon": ["TaskCancelled", "ok"],
};

/** A small seeded generator (Park–Miller): a failure can be replayed from its seed. */
function generator(seed: number): () => number {
  let state = seed % 2_147_483_647 || 1;
  return () => {
    state = (state * 48_271) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}

describe.each(["process", "thread"] as RuntimeKind[])("WorkerPool under a random mix (%s)", (runtime) => {
  it(`ends ${JOBS} jobs each as its kind allows, exactly once`, async () => {
    const seed = Date.now();
    const random = generator(seed);
    const pick = () => {
      let r = random() * MIX.reduce((sum, [, share]) => sum + share, 0);
      for (const [kind, share] of MIX) {
        r -= share;
        if (r < 0) return kind;
      }
      return "ok";
    };
    const h = new Harness(runtime, { default: { maxWorkers: 2 } });
    const error = toTaskError(new TaskCancelled("chaos"));
    const jobs: { kind: string; handle: Handle }[] = [];
    const cancels: Promise<void>[] = [];
    for (let n = 0; n < JOBS; n++) {
      const kind = pick();
      const handle = h.submit("chaos", [kind === "cancel-soon" ? "ok" : kind, n], {
        contextMeta: CONTEXT,
        timeoutMs: kind === "hang" ? 200 : null,
      });
      jobs.push({ kind, handle });
      if (kind === "await-cancel") {
        // Once it runs: it stops when its signal aborts.
        cancels.push(handle.started.then(() => void h.pool.cancel(handle.job.key, error, 5_000)));
      } else if (kind === "cancel-soon") {
        // Wherever it is by then: queued, buffered in a worker, running or finished.
        const delay = Math.floor(random() * 20);
        cancels.push(
          new Promise((resolve) => setTimeout(resolve, delay)).then(
            () => void h.pool.cancel(handle.job.key, error, 5_000),
          ),
        );
      }
      if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(cancels);
    const outcomes = await Promise.all(jobs.map(({ handle }) => handle.finished));
    outcomes.forEach(({ outcome }, i) => {
      const { kind, handle } = jobs[i]!;
      const got = outcome.ok ? "ok" : outcome.error.exceptionClassPath;
      expect(ALLOWED[kind], `job ${handle.job.key} (${kind}) ended ${got}; seed ${seed}`).toContain(got);
      if (got === "TaskCancelled") expect(outcome).toEqual({ ok: false, error });
    });
    // Still at full strength: two jobs that block run at once.
    const gate = new Gate();
    try {
      const paths = [gate.path(), gate.path()];
      const held = paths.map((path) => h.submit("waitForFile", [path]));
      const started = await Promise.all(held.map((x) => x.started));
      expect(new Set(started.map((s) => s.workerId)).size).toBe(2);
      for (const path of paths) gate.open(path);
      await Promise.all(held.map((x) => x.finished));
    } finally {
      gate.dispose();
    }
    await h.close();
  }, 120_000);
});
