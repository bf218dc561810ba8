// Copies the dashboard's page files (HTML, JS, CSS: served as they are, no front-end build) next to
// the compiled handler, which tsc does not do. Usage: node scripts/copy-static.mjs [outDir=dist]
import { cpSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const outDir = resolve(root, process.argv[2] ?? "dist");
cpSync(join(root, "src", "dashboard", "static"), join(outDir, "dashboard", "static"), { recursive: true });
