import { describe, expect, it } from "vitest";
import { describeError } from "../../src/cli/errors.ts";
import { parseModulePath } from "../../src/cli/module-path.ts";
import { hasTypeScriptLoader } from "../../src/typescript.ts";
import { fixtures } from "./helpers.ts";

describe("hasTypeScriptLoader", () => {
  it("recognises tsx in node's flags and in NODE_OPTIONS", () => {
    expect(hasTypeScriptLoader(["--import", "tsx"], {})).toBe(true);
    expect(hasTypeScriptLoader(["--import=file:///app/node_modules/tsx/dist/loader.mjs"], {})).toBe(true);
    expect(hasTypeScriptLoader([], { NODE_OPTIONS: "--max-old-space-size=512 --import tsx" })).toBe(true);
  });

  it("is false without tsx", () => {
    expect(hasTypeScriptLoader([], {})).toBe(false);
    expect(hasTypeScriptLoader(["--import", "./tsx-helpers.mjs", "--inspect"], {})).toBe(false);
  });
});

describe("parseModulePath", () => {
  it("splits at the last '#' and resolves against the base directory", () => {
    const ref = parseModulePath("tasks.ts#add", fixtures);
    expect(ref.exportName).toBe("add");
    expect(ref.url.endsWith("/test/fixtures/cli/tasks.ts")).toBe(true);
    expect(parseModulePath(`${ref.url}#greet`, "/elsewhere").file).toBe(ref.file);
  });
});

describe("describeError", () => {
  it("keeps a multi-line compiler message in one paragraph", () => {
    const error = new Error("Transform failed with 1 error:\n/app/x.ts:1:25: ERROR: Unexpected ';'");
    error.stack = "Error: Transform failed\n    at failure (/app/node_modules/esbuild/lib/main.js:1:1)";
    expect(describeError(error)).toBe("Error: Transform failed with 1 error: /app/x.ts:1:25: ERROR: Unexpected ';'");
  });

  it("names where the user's code threw", () => {
    const error = new Error("boom");
    error.stack = "Error: boom\n    at node:internal/x:1:1\n    at load (/app/tasks.ts:3:9)";
    expect(describeError(error)).toBe("Error: boom (at /app/tasks.ts:3:9)");
  });
});
