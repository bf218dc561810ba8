/**
 * The engine as users get it: compiled to JavaScript. Its worker entries are then plain `.js`, so
 * nothing preloads tsx, and a `.ts` task module must make the worker register tsx by itself.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAIN, TASKS } from "./harness.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
let outDir = "";

beforeAll(async () => {
  // Inside the repository, so that the compiled worker still finds tsx in node_modules.
  mkdirSync(join(root, ".artifacts"), { recursive: true });
  outDir = mkdtempSync(join(root, ".artifacts", "pool-dist-"));
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  // Type errors elsewhere in the tree do not stop tsc from emitting; only the emitted files matter.
  await run(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", outDir, "--sourceMap", "false"], {
    cwd: root,
  }).catch(() => {});
  writeFileSync(
    join(outDir, "run.mjs"),
    `import { WorkerPool } from "./pool/pool.js";
const [runtime, tasks, plain] = process.argv.slice(2);
const outcomes = [];
const pool = new WorkerPool({ runtime, lanes: { default: { maxWorkers: 1 } }, listener: {
  onStart() {}, onProgress() {},
  onFinish(job, outcome) { outcomes[job.key - 1] = outcome; },
} });
const base = { priority: 0, lane: "default", runAfter: null, attempt: 1, contextMeta: null, timeoutMs: null };
pool.submit({ ...base, key: 1, moduleUrl: plain, exportName: "double", args: [4], resultId: "a" });
pool.submit({ ...base, key: 2, moduleUrl: tasks, exportName: "add", args: [4, 5], resultId: "b" });
await pool.close();
console.log(JSON.stringify(outcomes));
`,
  );
}, 120_000);

afterAll(() => {
  if (outDir !== "") rmSync(outDir, { recursive: true, force: true });
});

describe.each(["process", "thread"])("compiled engine (%s)", (runtime) => {
  it("runs .mjs and .ts task modules from a plain node process", async () => {
    const { stdout } = await run(process.execPath, [join(outDir, "run.mjs"), runtime, TASKS, PLAIN], { cwd: root });
    expect(JSON.parse(stdout)).toEqual([
      { ok: true, value: 8 },
      { ok: true, value: 9 },
    ]);
  });
});
