/**
 * The package's entry points (issue 12, item 8): "tasklane" holds what an app uses; the result
 * bookkeeping a backend author needs (record*, cancellationError, toTaskError) lives in
 * "tasklane/backend", so that it does not crowd an app's autocomplete.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as backend from "../../src/backend.ts";
import * as api from "../../src/index.ts";

const internals = [
  "recordEnqueued",
  "recordStarted",
  "recordProgress",
  "recordRetry",
  "recordSucceeded",
  "recordFailed",
  "cancellationError",
  "isFinished",
  "toTaskError",
];

describe("entry points", () => {
  it('"tasklane" exports the app API without the backends\' bookkeeping', () => {
    const names = Object.keys(api);
    for (const name of internals) expect(names, name).not.toContain(name);
    for (const name of ["task", "configure", "closeAll", "getBackend", "TaskResult", "BaseTaskBackend", "taskEvents"]) {
      expect(names, name).toContain(name);
    }
  });

  it('"tasklane/backend" exports what a custom backend needs', () => {
    const names = Object.keys(backend);
    for (const name of [...internals, "BaseTaskBackend", "TaskResult", "TaskResultStatus"]) {
      expect(names, name).toContain(name);
    }
  });

  it("package.json maps both, with type declarations", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      exports: Record<string, { types?: string; import?: string }>;
    };
    expect(pkg.exports["./backend"]).toEqual({ types: "./dist/backend.d.ts", import: "./dist/backend.js" });
    expect(pkg.exports["."]).toEqual({ types: "./dist/index.d.ts", import: "./dist/index.js" });
  });
});
