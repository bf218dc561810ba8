import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the type check", () => {
  // tsc fails on any error, and also on an unused `@ts-expect-error`: so every line in
  // task-types.ts that should not compile (a Date argument, a Map, a non-JSON return…) is proven
  // to be refused by the compiler, and every line that should compile does.
  it("passes tsc --noEmit over src, tests (with the type tests), bench and examples", async () => {
    const output = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [`${root}/node_modules/typescript/bin/tsc`, "--noEmit", "-p", "tsconfig.json"],
        { cwd: root, timeout: 120_000 },
        (_error, stdout, stderr) => resolve(stdout + stderr),
      );
    });
    expect(output).toBe("");
    // tsc takes 15 s alone here and twice that beside the other suites: the deadline is tsc's own
    // (execFile's timeout above), not vitest's default 30 s.
  }, 150_000);

  it("keeps the compile-time JSON rules under test", () => {
    const source = readFileSync(`${root}/test/types/task-types.ts`, "utf8");
    const refused = source.match(/@ts-expect-error/g) ?? [];
    expect(refused.length).toBeGreaterThanOrEqual(10);
  });
});
