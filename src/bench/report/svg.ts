import { speedupOf, throughputOf } from "../derive.ts";
import { BACKENDS, type BackendName, type BenchResults } from "../types.ts";
import { esc, line, niceTicks, px, rect, SERIES_COLORS, shortNumber, text } from "./svg-kit.ts";

const WIDTH = 980;
const HEIGHT = 470;
const PANEL = { top: 100, bottom: 385, leftA: 70, rightA: 470, leftB: 570, rightB: 940 };
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

/**
 * A self-contained SVG of the run: on the left, no-op throughput per backend at each worker count
 * (grouped bars); on the right, CPU speedup over inline against worker count, with the ideal line.
 * Plain SVG 1.1 with inline styles, so it renders in a README, a browser or an image viewer.
 */
export function renderSvg(results: BenchResults): string {
  // The database backend has its own table: its worker runs in another process, on other terms.
  const backends = BACKENDS.filter((b) => b !== "database" && results.options.backends.includes(b));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ${FONT} font-size="12">`,
    `<title>tasklane benchmark: throughput and CPU scaling</title>`,
    rect(0, 0, WIDTH, HEIGHT, 'fill="#ffffff"'),
    text(20, 26, "tasklane benchmark", 'font-size="17" font-weight="bold"'),
    text(
      20,
      46,
      `${results.machine.cpuModel}, ${results.machine.availableParallelism} cores, Node ${results.node}, tasklane ${results.tasklaneVersion}, ${results.date.slice(0, 10)}${results.options.quick ? " (--quick)" : ""}`,
      'fill="#555555"',
    ),
    ...throughputPanel(results, backends),
    ...speedupPanel(results, backends),
    ...legend(backends),
    "</svg>",
  ];
  return `${parts.join("\n")}\n`;
}

/** Grouped bars: one group per worker count (plus "inline" for immediate), one bar per backend. */
function throughputPanel(results: BenchResults, backends: BackendName[]): string[] {
  const { top, bottom, leftA: left, rightA: right } = PANEL;
  const groups: { label: string; workers: number | null; members: BackendName[] }[] = [];
  if (backends.includes("immediate")) groups.push({ label: "inline", workers: null, members: ["immediate"] });
  for (const w of results.options.workers) {
    groups.push({
      label: `${w} worker${w === 1 ? "" : "s"}`,
      workers: w,
      members: backends.filter((b) => b !== "immediate"),
    });
  }
  const values = groups.flatMap((g) => g.members.map((b) => throughputOf(results, b, g.workers)));
  const ticks = niceTicks(Math.max(0, ...values.filter(Number.isFinite)));
  const yMax = ticks[ticks.length - 1] ?? 1;
  const y = (v: number) => bottom - (v / yMax) * (bottom - top);
  const out = [
    text(left, top - 20, "No-op throughput (tasks/s, higher is better)", 'font-size="13" font-weight="bold"'),
    ...axisY(ticks, y, left, right, shortNumber),
  ];
  const slots = groups.reduce((n, g) => n + g.members.length, 0) + groups.length;
  const slot = (right - left) / Math.max(1, slots);
  let x = left + slot / 2;
  for (const group of groups) {
    const start = x;
    for (const backend of group.members) {
      const value = throughputOf(results, backend, group.workers);
      if (Number.isFinite(value)) {
        out.push(
          rect(
            x,
            y(value),
            slot * 0.9,
            bottom - y(value),
            `fill="${SERIES_COLORS[backend]}"`,
            `${backend} ${group.label}: ${Math.round(value)} tasks/s`,
          ),
          text(x + slot * 0.45, y(value) - 3, shortNumber(value), 'font-size="9" fill="#333333"', "middle"),
        );
      }
      x += slot;
    }
    out.push(text((start + x) / 2, bottom + 16, group.label, "", "middle"));
    x += slot;
  }
  return out;
}

/** Speedup over inline against worker count: one polyline per pool, the ideal y = x dashed. */
function speedupPanel(results: BenchResults, backends: BackendName[]): string[] {
  const { top, bottom, leftB: left, rightB: right } = PANEL;
  const counts = results.options.cpuWorkers;
  const maxW = Math.max(1, ...counts);
  const series = backends.filter((b) => b !== "immediate");
  const values = series.flatMap((b) => counts.map((w) => speedupOf(results, b, w)));
  const ticks = niceTicks(Math.max(maxW, ...values.filter(Number.isFinite)), Math.min(8, Math.max(4, maxW)));
  const yMax = ticks[ticks.length - 1] ?? 1;
  const xOf = (w: number) => (maxW === 1 ? (left + right) / 2 : left + ((w - 1) / (maxW - 1)) * (right - left));
  const y = (v: number) => bottom - (v / yMax) * (bottom - top);
  const tasks = results.cpu ? `${results.cpu.tasks} x ~${results.cpu.taskMs.toFixed(1)} ms tasks` : "not measured";
  const out = [
    text(left, top - 20, `CPU speedup over inline (${tasks})`, 'font-size="13" font-weight="bold"'),
    ...axisY(ticks, y, left, right, (v) => `${v}x`),
  ];
  for (const w of counts) out.push(text(xOf(w), bottom + 16, String(w), "", "middle"));
  out.push(text((left + right) / 2, bottom + 32, "workers", 'fill="#555555"', "middle"));
  out.push(
    line(xOf(1), y(1), xOf(maxW), y(maxW), `stroke="${SERIES_COLORS.ideal}" stroke-width="1.5" stroke-dasharray="6 4"`),
    text(xOf(maxW) - 4, y(maxW) - 6, "ideal", `fill="${SERIES_COLORS.ideal}"`, "end"),
  );
  for (const backend of series) {
    const points = counts.map((w) => ({ w, v: speedupOf(results, backend, w) })).filter((p) => Number.isFinite(p.v));
    if (points.length === 0) continue;
    const color = SERIES_COLORS[backend] ?? "#000000";
    if (points.length > 1) {
      const d = points.map((p) => `${px(xOf(p.w))},${px(y(p.v))}`).join(" ");
      out.push(`<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const p of points) {
      out.push(
        `<circle cx="${px(xOf(p.w))}" cy="${px(y(p.v))}" r="3.5" fill="${color}"><title>${esc(`${backend}, ${p.w} workers: ${p.v.toFixed(2)}x`)}</title></circle>`,
      );
    }
  }
  return out;
}

/** Horizontal grid lines with labels, and the axis line. */
function axisY(ticks: number[], y: (v: number) => number, left: number, right: number, label: (v: number) => string) {
  const out: string[] = [];
  for (const t of ticks) {
    out.push(line(left, y(t), right, y(t), 'stroke="#e4e4e4" stroke-width="1"'));
    out.push(text(left - 6, y(t) + 4, label(t), 'fill="#555555"', "end"));
  }
  out.push(line(left, y(0), right, y(0), 'stroke="#888888" stroke-width="1"'));
  return out;
}

/** One swatch and label per series, in a row under the panels. */
function legend(backends: BackendName[]): string[] {
  const out: string[] = [];
  let x = PANEL.leftA;
  const yy = HEIGHT - 28;
  for (const name of [...backends, "ideal"]) {
    const color = SERIES_COLORS[name] ?? "#000000";
    out.push(
      name === "ideal"
        ? line(x, yy - 4, x + 14, yy - 4, `stroke="${color}" stroke-width="1.5" stroke-dasharray="4 3"`)
        : rect(x, yy - 10, 12, 12, `fill="${color}"`),
    );
    out.push(text(x + 18, yy, name));
    x += 30 + name.length * 7;
  }
  return out;
}
