/**
 * Installing tasklane as a user does (issue 12, item 2): a fresh copy of the repository is
 * installed and packed, and the tarball is installed into a throwaway app outside the repository,
 * which runs a JavaScript and a TypeScript task on the process pool, the CLI, and tsc against the
 * shipped type declarations. Dependencies come from npm's cache (--prefer-offline).
 *
 * The "fresh clone" is the working tree's tracked and new files (`git ls-files -co
 * --exclude-standard`): what a clone has once they are committed, without dist/ or node_modules,
 * and it tests the tree as it is rather than the last commit.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "tasklane-install-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The outer `npm test` sets npm_package_* and npm_lifecycle_* for its own package; the installs
// below are about other packages.
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^npm_(?:package|lifecycle)_/.test(key) && key !== "npm_command" && key !== "INIT_CWD",
  ),
);

function run(command: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr });
    });
  });
}

function ok(ran: Ran, what: string): Ran {
  if (ran.code !== 0) throw new Error(`${what} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

const npm = ["--prefer-offline", "--no-audit", "--no-fund"];

const app = {
  "package.json": JSON.stringify({ name: "throwaway-app", private: true, type: "module" }),
  "tasks.mjs": `import { task } from "tasklane";
export const add = task(import.meta, function add(a, b) {
  return a + b;
});
`,
  "main.mjs": `import { closeAll, configure } from "tasklane";
import { add } from "./tasks.mjs";
configure({ default: { backend: "process-pool", options: { maxWorkers: 1 } } });
const result = await add.enqueue(2, 3);
await result.wait({ timeoutMs: 30_000 });
console.log(JSON.stringify({ status: result.status, value: result.returnValue, worker: result.workerIds[0], pid: process.pid }));
await closeAll();
`,
  "tasks.ts": `import { task } from "tasklane";
export const greet = task(import.meta, function greet(name: string, greeting?: string): string {
  return \`\${greeting ?? "Hello"}, \${name}!\`;
});
`,
  "main.ts": `import { closeAll, configure, type TaskResult } from "tasklane";
import { greet } from "./tasks.ts";
configure({ default: { backend: "process-pool", options: { maxWorkers: 1 } } });
const result: TaskResult<string> = await greet.enqueue("Ada");
await result.wait({ timeoutMs: 30_000 });
console.log(JSON.stringify({ status: result.status, value: result.returnValue, worker: result.workerIds[0], pid: process.pid }));
await closeAll();
`,
  "tsconfig.json": JSON.stringify({
    compilerOptions: {
      target: "ES2023",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      // The app has no @types/node of its own; the repository's serves.
      typeRoots: [join(root, "node_modules", "@types")],
      types: ["node"],
    },
    include: ["*.ts"],
  }),
};

describe("npm pack of a fresh clone, installed into an app", () => {
  it("ships a working package: JS and TS tasks on process-pool, the CLI, the types", async () => {
    const clone = join(scratch, "clone");
    const listed = ok(await run("git", ["ls-files", "-co", "--exclude-standard", "-z"], root), "git ls-files");
    for (const file of listed.stdout.split("\0").filter(Boolean)) {
      if (!existsSync(join(root, file))) continue; // deleted in the working tree
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      cpSync(join(root, file), join(clone, file));
    }
    expect(existsSync(join(clone, "dist"))).toBe(false);

    // Item 8 as well: npm install on a fresh clone leaves the committed lock file alone.
    const lock = readFileSync(join(clone, "package-lock.json"), "utf8");
    ok(await run("npm", ["install", "--ignore-scripts", ...npm], clone), "npm install in the clone");
    expect(readFileSync(join(clone, "package-lock.json"), "utf8")).toBe(lock);

    // `prepare` builds dist/ (as it does for a git or folder install).
    const packed = ok(await run("npm", ["pack", "--json", ...npm], clone), "npm pack");
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = info!.files.map((f) => f.path);
    for (const file of [
      "package.json",
      "README.md",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/register.js",
      "dist/register.d.ts",
      "dist/backend.js",
      "dist/backend.d.ts",
      "dist/cli/main.js",
      "dist/worker/process-entry.js",
    ]) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((f) => /^(?:src|test|bench|examples)\//.test(f))).toEqual([]);

    const dir = join(scratch, "app");
    mkdirSync(dir);
    for (const [name, text] of Object.entries(app)) writeFileSync(join(dir, name), text);
    ok(await run("npm", ["install", ...npm, join(clone, info!.filename)], dir), "npm install <tarball>");

    const js = JSON.parse(ok(await run(process.execPath, ["main.mjs"], dir, 60_000), "node main.mjs").stdout);
    expect([js.status, js.value]).toEqual(["SUCCESSFUL", 5]);
    expect(js.worker).not.toBe(String(js.pid));

    const tsRun = ok(await run(process.execPath, ["--import", "tasklane/register", "main.ts"], dir, 60_000), "main.ts");
    const ts = JSON.parse(tsRun.stdout);
    expect([ts.status, ts.value]).toEqual(["SUCCESSFUL", "Hello, Ada!"]);
    expect(ts.worker).not.toBe(String(ts.pid));

    const bin = join(dir, "node_modules", ".bin", "tasklane");
    expect(ok(await run(bin, ["run", "./tasks.mjs#add", "20", "22", "-q"], dir, 60_000), "tasklane run").stdout).toBe(
      "42\n",
    );
    const help = ok(await run(bin, ["bench", "--help"], dir), "tasklane bench --help").stdout.replace(/\s+/g, " ");
    expect(help).toMatch(/Needs a clone of the repository with its dev dependencies installed/);

    const tsc = await run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "."], dir);
    expect(tsc.stdout + tsc.stderr).toBe("");
  }, 400_000);
});
