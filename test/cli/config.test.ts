import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtures, immediateConfig, stdoutJson, tasklane } from "./helpers.ts";

const configs = join(fixtures, "configs");
const discover = join(fixtures, "discover");

/** The backend alias a run of describeRun reports, or the run itself when it did not succeed. */
async function aliasUsed(cwd: string, alias: string, extra: string[] = []) {
  const run = await tasklane(["run", "-q", "../../tasks.mjs#describeRun", "--backend", alias, ...extra], { cwd });
  return run.code === 0 ? (JSON.parse(run.stdout) as { backend: string }).backend : run;
}

describe("config discovery", () => {
  it("prefers tasklane.config.ts, then .mjs, then .js, then .json", async () => {
    expect(await aliasUsed(join(discover, "all"), "from-ts")).toBe("from-ts");
    expect(await aliasUsed(join(discover, "mjs"), "from-mjs")).toBe("from-mjs");
    expect(await aliasUsed(join(discover, "js"), "from-js")).toBe("from-js");
    expect(await aliasUsed(join(discover, "json"), "from-json")).toBe("from-json");
  });

  it("uses only the first file it finds", async () => {
    const run = await tasklane(["run", "../../tasks.mjs#add", "1", "2", "--backend", "from-json"], {
      cwd: join(discover, "all"),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${join(discover, "all", "tasklane.config.ts")} configures default, from-ts.`);
  });

  it("--config wins over discovery", async () => {
    const cwd = join(discover, "all");
    expect(await aliasUsed(cwd, "inline", ["--config", immediateConfig])).toBe("inline");
  });

  it("without a config file, the library's default configuration applies", async () => {
    const run = await tasklane(["run", "tasks.mjs#add", "1", "2", "--backend", "nope"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("the default configuration (no config file found) configures default.");
  });
});

describe("config contents", () => {
  it("a JS config may use the named export `config`", async () => {
    const run = await tasklane([
      "run",
      "-q",
      "tasks.ts#describeRun",
      "--backend",
      "named",
      "--config",
      join(configs, "named.mjs"),
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ backend: "named" });
  });

  it("a custom backend named './module.mjs#Export' is imported relative to the config", async () => {
    const run = await tasklane(["run", "tasks.ts#add", "1", "2", "--config", join(configs, "custom.json")]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(stdoutJson(run)).toMatchObject({ status: "SUCCESSFUL", returnValue: 3 });
  });

  it("arguments the backend refuses with a TypeError exit 2", async () => {
    const run = await tasklane(["run", "tasks.ts#greet", '"Ada"', "--config", join(configs, "custom.json")]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Cannot enqueue");
    expect(run.stderr).toContain("args[0]: this backend takes no strings");
  });
});

describe("a broken config exits 2 naming the file and the problem", () => {
  let scratch: string;

  beforeAll(() => {
    scratch = realpathSync(mkdtempSync(join(tmpdir(), "tasklane-config-")));
    writeFileSync(join(scratch, "package.json"), '{ "type": "module" }\n');
    // Broken on purpose, so written here rather than kept where biome and tsc would check them.
    writeFileSync(join(scratch, "bad.json"), '{ "default": { "backend": "immediate" }, }\n');
    writeFileSync(join(scratch, "bad.ts"), "export default { default: { backend: 'immediate' } ;\n");
  });

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  async function broken(file: string): Promise<string> {
    const run = await tasklane(["run", "tasks.mjs#add", "1", "2", "--config", file]);
    expect(run.stdout).toBe("");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(file);
    return run.stderr;
  }

  it("JSON that does not parse", async () => {
    expect(await broken(join(scratch, "bad.json"))).toContain("is not valid JSON");
  });

  it("a TS config with a syntax error", async () => {
    expect(await broken(join(scratch, "bad.ts"))).toContain("Could not import config file");
  });

  it("a config module that throws", async () => {
    expect(await broken(join(configs, "throws.mjs"))).toContain("Error: config exploded");
  });

  it("a config module without a default or `config` export", async () => {
    expect(await broken(join(configs, "no-default.mjs"))).toContain("it has no default export");
  });

  it("a config that is not an object", async () => {
    expect(await broken(join(configs, "not-object.json"))).toContain("not an array");
  });

  it("an entry of the wrong shape", async () => {
    expect(await broken(join(configs, "bad-shape.json"))).toContain("has unknown key 'queue'");
  });

  it("an unknown built-in backend", async () => {
    expect(await broken(join(configs, "unknown-backend.json"))).toContain(
      "backend 'immedate' of 'default' is not a built-in backend",
    );
  });

  it("a custom backend whose module, export or class is missing", async () => {
    expect(await broken(join(configs, "missing-backend-module.json"))).toContain("Backend module not found");
    expect(await broken(join(configs, "missing-backend-export.json"))).toContain("has no export 'NoSuchBackend'");
    expect(await broken(join(configs, "backend-not-class.json"))).toContain("is an object, not a backend class");
  });

  it("a --config file that does not exist", async () => {
    const run = await tasklane(["run", "tasks.mjs#add", "--config", "nope.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Config file not found: ${join(fixtures, "nope.json")}`);
  });
});
