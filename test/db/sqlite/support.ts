import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every entry in `dir` with a hash of its bytes: equal snapshots mean nothing was changed or added. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    out[name] = statSync(path).isDirectory()
      ? `directory of ${readdirSync(path).length}`
      : createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return out;
}
