/**
 * A misspelt option name must be reported as itself (issue 12, item 4), not as "No overload matches
 * this call" over `TaskOptions & { takesContext: true }`. The probe is compiled by tsc, as a user's
 * editor would, and its messages are read.
 */
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
// Under .artifacts/ (ignored by git, biome and the project's own tsconfig), next to src/ so that the
// probe resolves tasklane's sources and @types/node as the tests do.
const dir = join(root, ".artifacts", `type-probe-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const probe = `import { type TaskContext, task } from "../../src/index.ts";
export const a = task(import.meta, { priorty: 1 }, function a(n: number) {
  return n;
});
export const b = task(import.meta, { takesContext: true, maxAttempt: 2 }, function b(context: TaskContext) {
  return context.attempt;
});
export const c = task(import.meta, { queue: "reports" }, async function c(month: string) {
  return { month };
});
`;

describe("option names in compiler errors", () => {
  it("names the misspelt option and suggests the right one", async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "probe.ts"), probe);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({ extends: "../../tsconfig.json", include: ["probe.ts"], compilerOptions: { noEmit: true } }),
    );
    const output = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [join(root, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")],
        { cwd: root, timeout: 120_000 },
        (_error, stdout, stderr) => resolve(stdout + stderr),
      );
    });
    expect(output).not.toContain("No overload matches this call");
    expect(output).toMatch(
      /probe\.ts\(2,\d+\): error TS2561: .*'priorty' does not exist in type 'TaskOptions.*Did you mean to write 'priority'\?/,
    );
    expect(output).toMatch(
      /probe\.ts\(5,\d+\): error TS2561: .*'maxAttempt' does not exist in type 'TaskOptions.*Did you mean to write 'maxAttempts'\?/,
    );
    expect(output).toMatch(/probe\.ts\(8,\d+\): error TS2353: .*'queue' does not exist in type 'TaskOptions/);
    expect(output.match(/error TS/g)).toHaveLength(3);
  }, 120_000);
});
