import cliProgress from "cli-progress";

/** Where the run reports how far it is. */
export interface Progress {
  /** Marks one step done; `label` says what runs next. */
  step(label: string): void;
  /** Says what runs now, without counting a step. */
  label(label: string): void;
  stop(): void;
}

/**
 * A cli-progress bar on stderr, so stdout keeps only the tables. Off when stderr is not a terminal
 * (CI logs, pipes, the smoke test) or when `enabled` is false: then nothing is drawn at all.
 */
export function createProgress(total: number, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) {
    return { step() {}, label() {}, stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: "bench {bar} {value}/{total} | {eta_formatted} left | {what}",
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { what: "starting" });
  return {
    step(label) {
      bar.increment(1, { what: label });
    },
    label(label) {
      bar.update({ what: label });
    },
    stop() {
      bar.stop();
    },
  };
}
