/**
 * Chaos: 2,000 tasks per pool backend, where a random share throw, kill their worker, hang past
 * their timeout, return non-JSON, or get cancelled (waiting or running). Every result must end with
 * the expected status and error class, the counts must add up exactly, the pool must still reach
 * full size, and no child process may be left after close.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, configure, getBackend, type PoolBackend, type TaskResult } from "../../src/index.ts";
import { type ChaosKind, chaos } from "../fixtures/pools/chaos.ts";
import { gate } from "../fixtures/pools/tasks.ts";
import { isAlive, openGate, until } from "../support/gate.ts";

const TASKS = 2000;
const WORKERS = 2;

/** Kinds with their share of the run; crashes and hangs are rarer because each costs a fresh worker. */
const mix: [ChaosKind, number][] = [
  ["ok", 80],
  ["throw", 6],
  ["nonjson", 4],
  ["exit", 1.5],
  ["hang", 1.5],
  ["await-cancel", 3],
];

/** A small seeded PRNG (mulberry32): uniform in [0, 1), unlike test-data generators biased to edge cases. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(random: () => number): ChaosKind {
  const total = mix.reduce((sum, [, share]) => sum + share, 0);
  let r = random() * total;
  for (const [kind, share] of mix) {
    r -= share;
    if (r < 0) return kind;
  }
  return "ok";
}

/** What a result of each kind must end as: status and error class. */
const expected: Record<ChaosKind | "cancelled", string> = {
  ok: "SUCCESSFUL",
  throw: "FAILED ChaosError",
  nonjson: "FAILED TypeError",
  exit: "FAILED WorkerCrashed",
  hang: "FAILED TaskTimeout",
  "await-cancel": "FAILED TaskCancelled",
  cancelled: "FAILED TaskCancelled",
};

function outcomeOf(result: TaskResult): string {
  if (result.status === "SUCCESSFUL") return "SUCCESSFUL";
  return `${result.status} ${result.errors.at(-1)?.exceptionClassPath ?? "?"}`;
}

describe.each(["process-pool", "thread-pool"] as const)("%s under chaos", (backendName) => {
  afterEach(async () => {
    await closeAll({ timeoutMs: 5000 });
  });

  it(`ends all ${TASKS} tasks as expected, keeps its size, and leaves no child behind`, async () => {
    configure({ default: { backend: backendName, options: { maxWorkers: WORKERS, cancelGraceMs: 2000 } } });
    // A seeded generator: a failure names the seed, and the same run can be replayed.
    const seed = Date.now() >>> 0;
    const next = mulberry32(seed);

    const want = new Map<string, number>();
    const results: { result: TaskResult; expect: string }[] = [];
    const pids = new Set<number>();
    const cancels: Promise<void>[] = [];
    for (let n = 0; n < TASKS; n++) {
      const kind = pick(next);
      const t = kind === "hang" ? chaos.using({ timeoutMs: 200 }) : chaos;
      const result = await t.enqueue(kind, n);
      const entry = { result, expect: expected[kind] };
      results.push(entry);
      if (kind === "await-cancel") {
        // Cancel it later, once it is running (or still waiting: both end TaskCancelled).
        cancels.push(
          new Promise<void>((resolve) => setTimeout(resolve, next() * 50)).then(async () => {
            expect(await result.cancel("chaos")).toBe(true);
          }),
        );
      } else if (kind === "ok" && next() < 0.03) {
        // Cancel a few plain tasks at once: either they were still waiting (cancelled), or they had
        // already run (cancel says false and the result stays SUCCESSFUL).
        cancels.push(
          result.cancel("changed my mind").then((cancelled) => {
            if (cancelled) entry.expect = expected.cancelled;
          }),
        );
      }
    }
    await Promise.all(cancels);
    await Promise.all(results.map(({ result }) => result.wait({ timeoutMs: 120_000 })));

    const got = new Map<string, number>();
    for (const { result, expect: e } of results) {
      want.set(e, (want.get(e) ?? 0) + 1);
      const actual = outcomeOf(result);
      got.set(actual, (got.get(actual) ?? 0) + 1);
      expect(actual, `task #${result.args[1]} (${String(result.args[0])}), seed ${seed}`).toBe(e);
    }
    expect([...got.values()].reduce((a, b) => a + b, 0)).toBe(TASKS);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));

    // Full size: WORKERS tasks held at a gate must all run at the same time.
    const backend = getBackend() as PoolBackend;
    expect(backend.pending).toBe(0);
    const gates = await openGate();
    try {
      const held = await Promise.all(
        Array.from({ length: WORKERS }, (_, i) => gate.enqueue(gates.url(`full-${i}`), `full-${i}`)),
      );
      await Promise.all(held.map((_, i) => gates.arrived(`full-${i}`)));
      expect(backend.workerInfo().filter((w) => w.busy)).toHaveLength(WORKERS);
      for (let i = 0; i < WORKERS; i++) gates.release(`full-${i}`);
      await Promise.all(held.map((r) => r.wait()));
    } finally {
      await gates.close();
    }
    await closeAll({ timeoutMs: 5000 });
    if (backendName === "process-pool") {
      // A process worker's id is its pid: every child that ever ran a task is in the results.
      for (const { result } of results) for (const id of result.workerIds) pids.add(Number(id));
      expect(pids.size).toBeGreaterThan(WORKERS);
      await until(() => [...pids].every((pid) => !isAlive(pid)), "every child ever started is gone");
    }
  }, 300_000);
});
