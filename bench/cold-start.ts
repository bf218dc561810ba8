/**
 * The first task's cold start, and what `minWorkers` + `ready()` save: each run is a fresh Node
 * process that configures a process pool (2 workers), then times its first task (enqueue → wait)
 * of a TypeScript module, either at once ("cold": the fork and tsx happen inside it) or after
 * `await getBackend().ready()` with `minWorkers: 2` ("warm"; the time ready() took is shown too).
 * The two kinds alternate, so machine load hits both alike. Run from a built repository:
 *
 *   npm run build && node --import tsx bench/cold-start.ts [runs per kind, default 10]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const kind = process.argv[2];
if (kind === "cold" || kind === "warm") {
  const { configure, getBackend, closeAll } = await import("tasklane");
  const { hello } = await import("./cold-task.ts");
  const options = kind === "warm" ? { maxWorkers: 2, minWorkers: 2 } : { maxWorkers: 2 };
  const t0 = performance.now();
  configure({ default: { backend: "process-pool", options } });
  await getBackend().ready();
  const t1 = performance.now();
  await (await hello.enqueue("you")).wait({ timeoutMs: 60_000 });
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ readyMs: t1 - t0, firstMs: t2 - t1 }));
  await closeAll();
} else {
  const runs = Number(process.argv[2] ?? 10);
  const self = fileURLToPath(import.meta.url);
  const samples: Record<string, { readyMs: number; firstMs: number }[]> = { cold: [], warm: [] };
  for (let i = 0; i < runs; i++) {
    for (const k of ["cold", "warm"]) {
      const out = execFileSync(process.execPath, ["--import", "tsx", self, k], { encoding: "utf8" });
      samples[k]!.push(JSON.parse(out));
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`first task of a .ts module on a fresh process-pool, median of ${runs} runs each (ms):`);
  for (const k of ["cold", "warm"]) {
    const s = samples[k]!;
    const ready = median(s.map((x) => x.readyMs)).toFixed(1);
    const first = median(s.map((x) => x.firstMs)).toFixed(1);
    console.log(`  ${k}: ready() ${ready}, first task ${first}`);
  }
}
