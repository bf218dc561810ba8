// The two small charts, drawn as SVG by hand: 30 bars and two lines need no chart library, and
// every label is a text node like the rest of the page.
import { $, duration, h } from "./dom.js";

const W = 420;
const H = 130;
const PAD = { left: 44, right: 6, top: 8, bottom: 18 };

/** The smallest of 1, 2, 4 × 10ⁿ at or above `value`: round labels, and an even middle line. */
function niceMax(value) {
  if (value <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 4, 10].map((m) => m * step).find((m) => m >= value);
}

const xOf = (i, n) => PAD.left + ((i + 0.5) / n) * (W - PAD.left - PAD.right);
const clock = (at) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** Clears `svg` and draws its grid and axis labels; returns the y scale. */
function frame(svg, n, max, label) {
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - (v / max) * plotH;
  const parts = [];
  for (const v of [0, max / 2, max]) {
    parts.push(h("svg:line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "grid" }));
    parts.push(h("svg:text", { x: PAD.left - 4, y: y(v) + 3, class: "axis", "text-anchor": "end" }, label(v)));
  }
  const mid = Math.floor((n - 1) / 2);
  const ticks = [
    [0, `−${n - 1} min`, "start"],
    [mid, `−${n - 1 - mid} min`, "middle"],
    [n - 1, "now", "end"],
  ];
  for (const [i, text, anchor] of ticks) {
    parts.push(h("svg:text", { x: xOf(i, n), y: H - 4, class: "axis", "text-anchor": anchor }, text));
  }
  svg.replaceChildren(...parts);
  return y;
}

function finishedChart(svg, minutes) {
  const n = minutes.length;
  // At least 2, so the middle grid line is a whole number of tasks.
  const max = niceMax(Math.max(2, ...minutes.map((m) => m.succeeded + m.failed)));
  const y = frame(svg, n, max, (v) => String(Number.isInteger(v) ? v : v.toFixed(1)));
  const barW = Math.max(1, ((W - PAD.left - PAD.right) / n) * 0.7);
  minutes.forEach((m, i) => {
    const x = xOf(i, n) - barW / 2;
    const bar = h("svg:g", {}, h("svg:title", {}, `${clock(m.start)}: ${m.succeeded} successful, ${m.failed} failed`));
    const total = m.succeeded + m.failed;
    if (m.succeeded > 0)
      bar.append(h("svg:rect", { x, width: barW, y: y(m.succeeded), height: y(0) - y(m.succeeded), class: "bar ok" }));
    if (m.failed > 0)
      bar.append(h("svg:rect", { x, width: barW, y: y(total), height: y(0) - y(m.failed), class: "bar bad" }));
    svg.append(bar);
  });
}

function timesChart(svg, minutes) {
  const n = minutes.length;
  const y = frame(svg, n, niceMax(Math.max(0, ...minutes.flatMap((m) => [m.waitMs ?? 0, m.runMs ?? 0]))), duration);
  for (const [key, name] of [
    ["waitMs", "wait"],
    ["runMs", "run"],
  ]) {
    let d = "";
    let pen = "M"; // a minute without finished tasks breaks the line
    minutes.forEach((m, i) => {
      const v = m[key];
      if (v === null) {
        pen = "M";
        return;
      }
      d += `${pen}${xOf(i, n).toFixed(1)},${y(v).toFixed(1)} `;
      pen = "L";
      const tip = h("svg:title", {}, `${clock(m.start)}: median ${name} ${duration(v)}`);
      svg.append(h("svg:circle", { cx: xOf(i, n), cy: y(v), r: 2, class: `dot ${name}` }, tip));
    });
    if (d !== "") svg.prepend(h("svg:path", { d, class: `line ${name}` }));
  }
}

/** Draws both charts and the summary line from the stats API's answer. */
export function renderCharts(stats) {
  const { minutes } = stats;
  finishedChart($("#chart-finished"), minutes);
  timesChart($("#chart-times"), minutes);
  const total = minutes.reduce((n, m) => n + m.succeeded + m.failed, 0);
  $("#chart-summary").textContent =
    `${total} finished in the last ${minutes.length} min · wait p50 ${duration(stats.waitMs.p50)}, ` +
    `p95 ${duration(stats.waitMs.p95)} · run p50 ${duration(stats.runMs.p50)}, p95 ${duration(stats.runMs.p95)}`;
}
