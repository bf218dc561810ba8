import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem, type } from "node:os";
import type { MachineInfo } from "./types.ts";

/** CPU, cores, memory and OS of this machine, for the JSON file and the table header. */
export function describeMachine(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    availableParallelism: availableParallelism(),
    memoryBytes: totalmem(),
    os: { type: type(), platform: platform(), release: release(), arch: arch() },
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
