// Live progress for the demo: one bar per lane on a terminal (cli-progress), plain lines otherwise,
// so the demo reads well both interactively and in a log or CI output.
import cliProgress from "cli-progress";

/**
 * @param {"bars" | "plain"} mode
 * @param {{ name: string, total: number }[]} lanes
 */
export function createDisplay(mode, lanes) {
  return mode === "bars" ? barDisplay(lanes) : plainDisplay(lanes);
}

function barDisplay(lanes) {
  const width = Math.max(...lanes.map((l) => l.name.length));
  const multibar = new cliProgress.MultiBar(
    {
      format: "{lane} |{bar}| {percentage}% | {status}",
      barsize: 24,
      hideCursor: true,
      stream: process.stdout, // with the rest of the demo's output (cli-progress defaults to stderr)
      clearOnComplete: false,
      // Renders even when stdout is not a terminal, for `--bars` in a pipe (and the test).
      noTTYOutput: true,
      notTTYSchedule: 500,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map(
    lanes.map((l) => [l.name, multibar.create(l.total, 0, { lane: l.name.padEnd(width), status: "waiting" })]),
  );
  return {
    update(lane, value, status) {
      bars.get(lane)?.update(value, { status });
    },
    log(line) {
      multibar.log(`${line}\n`);
    },
    stop() {
      multibar.stop();
    },
  };
}

function plainDisplay(lanes) {
  const width = Math.max(...lanes.map((l) => l.name.length));
  const totals = new Map(lanes.map((l) => [l.name, l.total]));
  // A line per 10% step per lane keeps a log short while still showing steady progress; the
  // status of a full lane is printed once more when it changes (its last job finished).
  const printedStep = new Map(lanes.map((l) => [l.name, -1]));
  const printedStatus = new Map();
  const started = performance.now();
  const stamp = () => `[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s]`;
  return {
    update(lane, value, status) {
      const percent = Math.floor((100 * value) / (totals.get(lane) ?? 1));
      const step = Math.floor(percent / 10);
      const full = percent >= 100;
      if (step === printedStep.get(lane) && !(full && status !== printedStatus.get(lane))) return;
      printedStep.set(lane, step);
      printedStatus.set(lane, status);
      console.log(`${stamp()} ${lane.padEnd(width)} ${String(percent).padStart(3)}%  ${status}`);
    },
    log(line) {
      console.log(`${stamp()} ${line}`);
    },
    stop() {},
  };
}
