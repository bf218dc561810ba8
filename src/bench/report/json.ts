import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { BenchResults } from "../types.ts";

/** Writes `content` to `file`, creating its folder; returns the absolute path. */
export async function writeOutput(file: string, content: string): Promise<string> {
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return path;
}

/** The raw results as pretty JSON (every sample, the machine, the options). */
export function resultsJson(results: BenchResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}
