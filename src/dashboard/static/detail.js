// The detail panel: one result with its arguments, return value and every error's traceback.
import { $, api, duration, fill, h, progressView, runOf, stamp, statusBadge, waitOf } from "./dom.js";

/** The id in `#result=<id>`, or null. */
export function detailId() {
  const match = /^#result=(.+)$/.exec(location.hash);
  if (match === null) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

export function openDetail(id) {
  location.hash = `result=${encodeURIComponent(id)}`;
}

export function closeDetail() {
  history.replaceState(null, "", location.pathname + location.search);
}

/** Shows the result the address names (or hides the panel); `actions(row)` gives its buttons. */
export async function showDetail(actions) {
  const id = detailId();
  const panel = $("#detail");
  if (id === null) {
    panel.hidden = true;
    return;
  }
  try {
    renderDetail(await api(`results/${encodeURIComponent(id)}`), actions);
  } catch (error) {
    fill($("#detail-title"), "Result");
    fill($("#detail-body"), h("p", { class: "message error" }, error.message));
  }
  panel.hidden = false;
}

function renderDetail(d, actions) {
  const field = (label, ...value) => [h("dt", {}, label), h("dd", {}, ...value)];
  const link = (id) => h("a", { href: `#result=${encodeURIComponent(id)}`, class: "mono" }, id);
  const json = (value) => h("pre", { class: "json" }, JSON.stringify(value, null, 2));
  const since = (label, ms) => h("span", { class: "dim" }, ` (${label} ${duration(ms)})`);
  const errors = d.errors.map((e, i) =>
    h(
      "details",
      { class: "error", open: i === d.errors.length - 1 ? "" : null },
      h(
        "summary",
        {},
        `Attempt ${i + 1}: ${e.exceptionClassPath}: ${e.message}`,
        e.code === undefined ? null : ` (code ${e.code})`,
      ),
      h("pre", {}, e.traceback),
    ),
  );
  fill($("#detail-title"), d.name, " ", statusBadge(d.status));
  fill(
    $("#detail-body"),
    h("div", { class: "detail-actions" }, actions(d)),
    h(
      "dl",
      {},
      field("ID", h("span", { class: "mono" }, d.id)),
      field("Task", h("span", { class: "mono" }, d.task)),
      field("Queue · priority", `${d.queue} · ${d.priority}`),
      field("Backend", d.backend),
      field("Enqueued", stamp(d.enqueuedAt)),
      field("Started", stamp(d.startedAt), d.startedAt === null ? null : since("waited", waitOf(d))),
      field("Last attempt", stamp(d.lastAttemptedAt)),
      field("Finished", stamp(d.finishedAt), d.finishedAt === null ? null : since("ran", runOf(d))),
      field("Attempts", d.maxAttempts ? `${d.attempts} of ${d.maxAttempts}` : String(d.attempts)),
      field(
        "Workers",
        d.workerIds.length === 0
          ? "–"
          : h(
              "ol",
              { class: "mono" },
              d.workerIds.map((w) => h("li", {}, w)),
            ),
      ),
      field("Progress", progressView(d.progress)),
      d.reenqueuedFrom ? field("Re-enqueue of", link(d.reenqueuedFrom)) : null,
      d.reenqueuedAs ? field("Re-enqueued as", link(d.reenqueuedAs)) : null,
    ),
    h("h3", {}, "Arguments"),
    json(d.args),
    d.status === "SUCCESSFUL" ? [h("h3", {}, "Return value"), json(d.returnValue)] : null,
    d.errors.length > 0 ? [h("h3", {}, `Errors (${d.errors.length})`), errors] : null,
  );
}
