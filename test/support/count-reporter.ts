import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";
import { SKIP_NOTE } from "./postgres-global-setup.ts";

/**
 * Writes "N passed, N failed" to .artifacts/test-counts.txt when the run ends. `.ci/run` prints
 * that line last, after npm's own output, because CI reads only its final line.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
    reason: "passed" | "failed" | "interrupted",
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      // A file that failed to load has no tests but must still count as a failure.
      if (mod.state() === "failed" && [...mod.children.allTests()].length === 0) failed++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    failed += unhandledErrors.length;
    // A run that failed before any test (a global setup error: no PostgreSQL under CI) is a failure.
    if (reason !== "passed" && failed === 0) failed = 1;
    mkdirSync(".artifacts", { recursive: true });
    const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
    writeFileSync(".artifacts/test-counts.txt", `${line}\n`);
    // Why tests were skipped (e.g. no PostgreSQL server here), under vitest's own summary.
    if (existsSync(SKIP_NOTE)) process.stdout.write(`\n${readFileSync(SKIP_NOTE, "utf8")}`);
  }
}
