import type { Summary } from "../stats.ts";

/*
 * Number formatting for the tables: few significant digits (the machine is noisy; more digits
 * would only suggest a precision the numbers do not have) and ASCII only, so logs stay readable.
 */

/** A count or rate with thousands separators: 12,345. */
export function fmtInt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-";
}

/** A duration or size with 3 significant digits at most: 1.23, 12.3, 123. */
export function fmtNum(value: number): string {
  if (!Number.isFinite(value)) return "-";
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toFixed(digits);
}

/** A ratio: 1.23x. */
export function fmtRatio(value: number): string {
  if (!Number.isFinite(value)) return "-";
  // Small ratios (a 100 KB payload against a small one) keep two significant digits.
  return Math.abs(value) >= 0.1 ? `${value.toFixed(2)}x` : `${value.toPrecision(2)}x`;
}

/** Bytes as signed MB with one decimal: +3.2 MB. */
export function fmtMbDelta(bytes: number): string {
  if (!Number.isFinite(bytes)) return "-";
  const mb = Math.round((bytes / (1024 * 1024)) * 10) / 10;
  // Rounded first, so a change of a few KB prints as +0.0, never as -0.0.
  return `${mb < 0 ? "" : "+"}${mb === 0 ? "0.0" : mb.toFixed(1)} MB`;
}

/** Bytes as MB with one decimal: 41.5 MB. */
export function fmtMb(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : "-";
}

/** `median [min-max]`, or just the median when there was one value. */
export function fmtSpread(s: Summary, fmt: (n: number) => string): string {
  if (s.n === 0) return "-";
  if (s.n === 1) return fmt(s.median);
  return `${fmt(s.median)} [${fmt(s.min)}-${fmt(s.max)}]`;
}

/** "-" for inline rows, else the worker count. */
export function fmtWorkers(workers: number | null): string {
  return workers === null ? "-" : String(workers);
}
