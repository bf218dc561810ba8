import type { BenchResults } from "../types.ts";
import { databaseTable } from "./database.ts";
import { fmtMb } from "./format.ts";
import { cpuTable, enqueueTable, latencyTable, memoryTable, payloadTable, throughputTable } from "./sections.ts";
import { goalsTable, summaryTable, verdict } from "./summary.ts";
import { renderTable, type Table } from "./table.ts";

/**
 * Everything printed on stdout at the end of a run: who and where, the summary table and the
 * verdict first, then one table per section, then the goals. A new section is one more entry in
 * `sections`.
 */
export function renderReport(results: BenchResults): string {
  const m = results.machine;
  const header = [
    `tasklane ${results.tasklaneVersion} benchmark, ${results.date.slice(0, 16).replace("T", " ")} UTC: ` +
      `${m.cpuModel}, ${m.cores} cores, ${fmtMb(m.memoryBytes)}, ${m.os.type} ${m.os.arch}, Node ${results.node}; ` +
      `took ${Math.round(results.durationSeconds)} s`,
    results.options.quick
      ? "--quick: small samples, so the numbers are rough; compare ratios within this run."
      : "Absolute numbers depend on the machine and its load; compare ratios within this run.",
    ...busyWarning(results),
  ].join("\n");
  const sections: (Table | null)[] = [
    throughputTable(results),
    latencyTable(results),
    cpuTable(results),
    enqueueTable(results),
    payloadTable(results),
    memoryTable(results),
    databaseTable(results),
    goalsTable(results),
  ];
  const said = verdict(results);
  const leftovers =
    results.leftoverChildren.length === 0
      ? "no child process left behind"
      : `WARNING: child processes still alive: ${results.leftoverChildren.join(", ")}`;
  return (
    [
      header,
      renderTable(summaryTable(results)),
      ...(said.length > 0 ? [`${said.join("\n")}\n`] : []),
      ...sections.filter((t): t is Table => t !== null).map(renderTable),
      leftovers,
    ].join("\n") + "\n"
  );
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
