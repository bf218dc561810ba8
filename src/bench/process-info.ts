import { readdirSync, readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/*
 * What the memory section reads about processes: a full GC on demand, the resident size of a child
 * from /proc, and which children of this process are still alive (none should be at the end).
 */

let gcFunction: (() => void) | null = null;

/**
 * A function that runs a full garbage collection, without needing `node --expose-gc`: the flag is
 * set at run time and `gc` is taken from a fresh context, where V8 installs it.
 */
export function fullGc(): () => void {
  if (gcFunction) return gcFunction;
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === "function") {
    gcFunction = existing;
  } else {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  return gcFunction;
}

/** VmRSS of a process in bytes, from /proc; null when it cannot be read (not Linux, or gone). */
export function processRss(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

/** Pids of the live (not zombie) direct children of `parent`, from /proc; empty where /proc is absent. */
export function childPids(parent: number = process.pid): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the parenthesised command name: state, ppid, ...
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (rest[0] !== "Z" && Number(rest[1]) === parent) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
