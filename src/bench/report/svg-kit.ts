/*
 * The few SVG primitives the chart needs, as strings: no DOM, no browser, no dependency. Coordinates
 * are rounded to 0.1 px to keep the file small and diff-friendly.
 */

/** Escapes text for SVG content and attribute values. */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A coordinate rounded to 0.1 px. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Text at (x, y); `anchor` start, middle or end. */
export function text(x: number, y: number, content: string, attrs = "", anchor = "start"): string {
  return `<text x="${px(x)}" y="${px(y)}" text-anchor="${anchor}"${attrs ? ` ${attrs}` : ""}>${esc(content)}</text>`;
}

/** A line segment. */
export function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" ${attrs}/>`;
}

/** A rectangle with an optional hover title. */
export function rect(x: number, y: number, w: number, h: number, attrs: string, title?: string): string {
  const body = `x="${px(x)}" y="${px(y)}" width="${px(Math.max(0, w))}" height="${px(Math.max(0, h))}" ${attrs}`;
  return title === undefined ? `<rect ${body}/>` : `<rect ${body}><title>${esc(title)}</title></rect>`;
}

/**
 * Round tick values from 0 to at least `max`: steps of 1, 2 or 5 times a power of ten, about
 * `count` of them.
 */
export function niceTicks(max: number, count = 5): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const raw = top / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power) as number;
  const ticks: number[] = [];
  for (let v = 0; v < top + step * 0.999; v += step) ticks.push(Math.round(v * 1e9) / 1e9);
  return ticks;
}

/** A short label for a large number: 950, 12k, 1.2M. */
export function shortNumber(value: number): string {
  if (!Number.isFinite(value)) return "-";
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(abs >= 1e7 ? 0 : 1)}M`;
  if (abs >= 1e3) return `${(value / 1e3).toFixed(abs >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(value * 10) / 10);
}

/** The colour of each series: tasklane's in strong blues and greens, the peers in warm tones. */
export const SERIES_COLORS: Record<string, string> = {
  immediate: "#8c8c8c",
  "thread-pool": "#2a9d3a",
  "process-pool": "#1f5fbf",
  "tinypool-threads": "#f0a030",
  "tinypool-process": "#d6452c",
  piscina: "#8e5cc2",
  ideal: "#444444",
};
