import type { BenchResults } from "../types.ts";
import { fmtMb } from "./format.ts";
import { cpuTable, enqueueTable, latencyTable, memoryTable, payloadTable, throughputTable } from "./sections.ts";
import { ratiosTable, targetsTable } from "./summary.ts";
import { renderTable, type Table } from "./table.ts";

/** Everything printed on stdout at the end of a run: a header, one table per section, ratios, targets. */
export function renderReport(results: BenchResults): string {
  const m = results.machine;
  const header = [
    `tasklane ${results.tasklaneVersion} benchmark, ${results.date}`,
    `${m.cpuModel}, ${m.cores} cores (${m.availableParallelism} available), ${fmtMb(m.memoryBytes)} RAM, ` +
      `${m.os.type} ${m.os.release} ${m.os.arch}, Node ${results.node}; load average ${m.loadavg.join(" ")}`,
    `backends: ${results.options.backends.join(", ")}; workers ${results.options.workers.join(",")} ` +
      `(CPU: ${results.options.cpuWorkers.join(",")}); ${results.durationSeconds} s` +
      (results.options.quick ? "; --quick: fewer tasks and repeats, numbers are rough" : ""),
    "Absolute numbers depend on the machine and its load; compare the ratios, measured within this run.",
    ...busyWarning(results),
  ].join("\n");
  const tables: (Table | null)[] = [
    enqueueTable(results),
    throughputTable(results),
    latencyTable(results),
    cpuTable(results),
    payloadTable(results),
    memoryTable(results),
    ratiosTable(results),
    targetsTable(results),
  ];
  const leftovers =
    results.leftoverChildren.length === 0
      ? "no child process left behind"
      : `WARNING: child processes still alive: ${results.leftoverChildren.join(", ")}`;
  return [header, ...tables.filter((t): t is Table => t !== null).map(renderTable), leftovers].join("\n") + "\n";
}

/**
 * A warning when the machine was busy at the start. With Linux's scheduler autogroups, the whole
 * benchmark (parent and workers, one session) shares one fair slot with every other session, so
 * under load extra workers add little CPU: the scaling and multi-worker numbers then say nothing.
 */
function busyWarning(results: BenchResults): string[] {
  const load = results.machine.loadavg[0] ?? 0;
  const cores = results.machine.availableParallelism;
  if (load <= cores * 0.5) return [];
  return [
    `WARNING: the machine was busy (load average ${load} on ${cores} cores): CPU scaling and multi-worker ` +
      "numbers are not meaningful; rerun on a quiet machine.",
  ];
}
