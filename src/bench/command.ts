import { type CliBenchOptions, resolveOptions } from "./options.ts";
import { resultsJson, writeOutput } from "./report/json.ts";
import { renderReport } from "./report/render.ts";
import { renderSvg } from "./report/svg.ts";
import { runBench } from "./run.ts";

/** Where the command writes: stdout for the tables, stderr for notes. */
export interface BenchIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * The `tasklane bench` action: runs every section, prints the tables on stdout, writes `--json` and
 * `--svg` if asked. Rejects when the run fails or leaves a child process alive.
 */
export async function benchAction(cli: CliBenchOptions, io: BenchIo): Promise<void> {
  const options = resolveOptions(cli);
  const results = await runBench(options);
  io.stdout(renderReport(results));
  if (options.json !== null) io.stderr(`wrote ${await writeOutput(options.json, resultsJson(results))}\n`);
  if (options.svg !== null) io.stderr(`wrote ${await writeOutput(options.svg, renderSvg(results))}\n`);
  if (results.leftoverChildren.length > 0) {
    throw new Error(`child processes left behind: ${results.leftoverChildren.join(", ")}`);
  }
}
