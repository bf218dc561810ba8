// The page's building blocks: elements made through the DOM only (a value is always a text node or
// an attribute, never markup), the API client, and the formatting of times and progress.
const SVG = "http://www.w3.org/2000/svg";
const csrf = document.querySelector('meta[name="tasklane-csrf"]').content;

export const $ = (selector) => document.querySelector(selector);

/** An element with attributes and children; strings become text nodes, functions `on…` listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (nested arrays flattened; null, undefined and false skipped). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children, as `append` takes them. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** GETs (or, with `post`, POSTs with the CSRF token) `api/<path>`; rejects with the server's message. */
export async function api(path, post = false) {
  const options = post ? { method: "POST", headers: { "X-Tasklane-CSRF": csrf } } : {};
  const response = await fetch(`api/${path}`, { cache: "no-store", ...options });
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

export function say(text, isError = false) {
  const el = $("#message");
  el.textContent = text;
  el.hidden = text === "";
  el.classList.toggle("error", isError);
}

export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** Local time as `2025-01-31 14:05:09.123`: sortable, and precise enough to tell tasks apart. */
export function stamp(at) {
  if (at === null) return "–";
  const d = new Date(at);
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${day} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export const ago = (at) => (at === null ? "–" : `${duration(Date.now() - at)} ago`);
export const waitOf = (row) => (row.startedAt === null ? null : row.startedAt - row.enqueuedAt);
export const runOf = (row) => (row.startedAt === null ? null : (row.finishedAt ?? Date.now()) - row.startedAt);

/** The file name of a module path, for the list's second column. */
export function fileOf(path) {
  const file = path.slice(0, path.lastIndexOf("#")).split("/").pop() ?? "";
  try {
    return decodeURIComponent(file);
  } catch {
    return file;
  }
}

/** A progress bar with its label, or a dash. */
export function progressView(progress) {
  if (progress === null) return h("span", { class: "dim" }, "–");
  let fraction = progress;
  let label = `${Math.round(progress * 100)}%`;
  if (typeof progress !== "number") {
    fraction = progress.total > 0 ? Math.min(1, progress.current / progress.total) : 0;
    label = `${progress.current}/${progress.total}${progress.message ? ` ${progress.message}` : ""}`;
  }
  return h(
    "span",
    { class: "progress", title: label },
    h("progress", { max: 1, value: fraction }),
    h("span", {}, label),
  );
}

export const statusBadge = (status) => h("span", { class: `status s-${status}` }, status);
