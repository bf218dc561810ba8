import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the type check", () => {
  // tsc fails on any error, and also on an unused `@ts-expect-error`: so every line in
  // task-types.ts that should not compile (a Date argument, a Map, a non-JSON return…) is proven
  // to be refused by the compiler, and every line that should compile does.
  // As long as tsc itself may take (below): on a loaded 2-core machine it needs more than 30 s.
  it("passes tsc --noEmit over src, tests (with the type tests), bench and examples", {
    timeout: 120_000,
  }, async () => {
    const output = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [`${root}/node_modules/typescript/bin/tsc`, "--noEmit", "-p", "tsconfig.json"],
        { cwd: root, timeout: 120_000 },
        (_error, stdout, stderr) => resolve(stdout + stderr),
      );
    });
    expect(output).toBe("");
  });

  it("keeps the compile-time JSON rules under test", () => {
    const source = readFileSync(`${root}/test/types/task-types.ts`, "utf8");
    const refused = source.match(/@ts-expect-error/g) ?? [];
    expect(refused.length).toBeGreaterThanOrEqual(10);
  });
});
