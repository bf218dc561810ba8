import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const root = fileURLToPath(new URL("../../", import.meta.url));
/** The built CLI the tests drive. */
export const cliMain = join(root, "dist", "cli", "main.js");
/** The fixture directory; it holds no tasklane.config.*, so runs there use the default config. */
export const fixtures = join(root, "test", "fixtures", "cli");
/** The config most tests pass with --config: `default` and `inline`, both immediate. */
export const immediateConfig = join(fixtures, "immediate.config.json");

/** How a CLI run ended. */
export interface CliRun {
  /** Exit code, or null when the deadline killed it (then `signal` says how). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node dist/cli/main.js …args` in `cwd` (default: the fixture directory). The child is
 * killed at `deadlineMs`, so a hanging CLI fails its test instead of stalling the run.
 */
export function tasklane(
  args: readonly string[],
  options: { cwd?: string; deadlineMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, ...args], {
      cwd: options.cwd ?? fixtures,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.deadlineMs ?? 20_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Parses stdout as JSON, failing with the whole run in the message when it is not. */
export function stdoutJson(run: CliRun): Record<string, unknown> {
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}
