// The tasklane dashboard page: counts, the list, actions, and live updates. Every value from the
// server reaches the page as a text node or an attribute set through the DOM (see dom.js), so a
// task argument `<script>` stays text, and the Content-Security-Policy runs only these files.
// Plain browser modules: no build step.
import { renderCharts } from "./chart.js";
import { closeDetail, detailId, openDetail, showDetail } from "./detail.js";
import { $, ago, api, duration, fileOf, fill, h, progressView, runOf, say, statusBadge, waitOf } from "./dom.js";

const STATUSES = ["READY", "RUNNING", "SUCCESSFUL", "FAILED"];

const state = {
  info: null,
  cursors: [], // the `after` cursor of each page before the current one
  next: null,
  rows: new Map(), // the rows shown, by id
  tasks: new Set(), // module paths seen, offered by the task filter
  refreshFailed: false,
};

// ---- actions -------------------------------------------------------------------------------------

function actionButtons(row) {
  if (state.info.readOnly) return [];
  const button = (action, label) =>
    h(
      "button",
      { type: "button", class: `act ${action}`, "data-action": action, onclick: (e) => act(e, action, row.id) },
      label,
    );
  if (row.status === "READY" || row.status === "RUNNING") return [button("cancel", "Cancel")];
  // A FAILED result is re-enqueued once; its copy, if that fails too, offers the next one.
  if (row.status === "FAILED" && !row.reenqueuedAs) return [button("reenqueue", "Re-enqueue")];
  return [];
}

async function act(event, action, id) {
  event.stopPropagation();
  event.currentTarget.disabled = true;
  try {
    const body = await api(`results/${encodeURIComponent(id)}/${action}`, true);
    if (action === "reenqueue") say(`Re-enqueued ${id} as ${body.id}`);
    else if (body.outcome === "requested") say(`Cancel requested for ${id}: its worker will stop it`);
    else say(`Cancelled ${id}`);
  } catch (error) {
    say(`Could not ${action === "cancel" ? "cancel" : "re-enqueue"} ${id}: ${error.message}`, true);
  }
  refreshSoon(0);
}

// ---- the list ------------------------------------------------------------------------------------

function filterParams() {
  const form = $("#filters");
  const params = new URLSearchParams();
  for (const name of ["status", "queue", "task", "id", "limit"]) {
    const value = form.elements[name].value.trim();
    if (value !== "") params.set(name, value);
  }
  const after = state.cursors.at(-1);
  if (after !== undefined) params.set("after", after);
  return params;
}

function renderRow(row) {
  const worker = row.workerIds.at(-1);
  const attempts = row.maxAttempts > 1 ? `${row.attempts}/${row.maxAttempts}` : String(row.attempts);
  const from = row.reenqueuedFrom
    ? h("span", { class: "dim", title: `re-enqueue of ${row.reenqueuedFrom}` }, " ↻")
    : null;
  const error = row.lastError
    ? h(
        "div",
        { class: "error-line", title: row.lastError.message },
        `${row.lastError.exceptionClassPath}: ${row.lastError.message}`,
      )
    : null;
  return h(
    "tr",
    { "data-id": row.id, "data-status": row.status, onclick: () => openDetail(row.id) },
    h("td", { class: "mono id", title: row.id }, row.id.slice(0, 8), from),
    h(
      "td",
      { class: "task" },
      h(
        "button",
        { type: "button", class: "link task-name", title: row.task, onclick: (e) => filterTask(e, row.task) },
        row.name,
      ),
      h("span", { class: "dim file" }, fileOf(row.task)),
    ),
    h("td", {}, row.queue),
    h("td", { class: "status-cell" }, statusBadge(row.status), error),
    h("td", { class: "when", title: new Date(row.enqueuedAt).toISOString() }, ago(row.enqueuedAt)),
    h("td", { class: "num wait" }, duration(waitOf(row))),
    h("td", { class: "num run" }, duration(runOf(row))),
    h("td", { class: "num" }, attempts),
    h(
      "td",
      { class: "mono worker", title: row.workerIds.join("\n") },
      worker === undefined ? "–" : worker.slice(0, 12),
    ),
    h("td", { class: "progress-cell" }, progressView(row.progress)),
    h("td", { class: "actions" }, actionButtons(row)),
  );
}

function renderList(page) {
  state.rows = new Map(page.rows.map((row) => [row.id, row]));
  state.next = page.next;
  for (const row of page.rows) if (state.tasks.size < 200) state.tasks.add(row.task);
  fill($("#results tbody"), page.rows.map(renderRow));
  fill(
    $("#task-options"),
    [...state.tasks].sort().map((task) => h("option", { value: task })),
  );
  $("#empty").hidden = page.rows.length > 0;
  $("#newer").disabled = state.cursors.length === 0;
  $("#older").disabled = page.next === null;
  $("#page-info").textContent = `page ${state.cursors.length + 1} · newest first`;
}

/** A change from the live feed: the row is redrawn where it is shown (the next refresh places new ones). */
function applyChange(row) {
  const shown = document.querySelector(`#results tbody tr[data-id="${CSS.escape(row.id)}"]`);
  if (shown === null) return;
  state.rows.set(row.id, row);
  shown.replaceWith(renderRow(row));
}

function filterTask(event, task) {
  event.stopPropagation();
  $("#filters").elements.task.value = task;
  filtersChanged();
}

function filtersChanged() {
  state.cursors = [];
  refreshSoon(0);
}

function renderCounts(counts) {
  const form = $("#filters");
  const pick = (queue, status) => () => {
    form.elements.status.value = status;
    form.elements.queue.value = queue ?? "";
    filtersChanged();
  };
  const cell = (queue, status, n) =>
    h(
      "td",
      { class: "num" },
      n === 0
        ? h("span", { class: "dim" }, "0")
        : h("button", { type: "button", class: `link s-${status}`, onclick: pick(queue, status) }, n),
    );
  const line = (label, queue, c) =>
    h(
      "tr",
      { "data-queue": queue ?? "" },
      h("th", {}, label),
      STATUSES.map((s) => cell(queue, s, c[s])),
      h(
        "td",
        { class: "num total" },
        STATUSES.reduce((n, s) => n + c[s], 0),
      ),
    );
  fill(
    $("#counts tbody"),
    counts.queues.map((q) => line(q.queue, q.queue, q.counts)),
  );
  fill($("#counts tfoot"), line("All queues", null, counts.total));
  // The queue filter offers the queues that have results (and keeps the one chosen).
  const select = form.elements.queue;
  const chosen = select.value;
  const queues = new Set(counts.queues.map((q) => q.queue));
  if (chosen) queues.add(chosen);
  fill(
    select,
    h("option", { value: "" }, "any"),
    [...queues].sort().map((q) => h("option", { value: q }, q)),
  );
  select.value = chosen;
}

// ---- refreshing ----------------------------------------------------------------------------------

let timer = null;
let lastRefresh = 0;

/** Reloads counts, list, charts and detail; at most once a second however many changes arrive. */
function refreshSoon(delay = Math.max(0, 1000 - (Date.now() - lastRefresh))) {
  if (timer !== null) {
    if (delay > 0) return;
    clearTimeout(timer);
  }
  timer = setTimeout(refresh, delay);
}

async function refresh() {
  timer = null;
  lastRefresh = Date.now();
  try {
    const [counts, page, stats] = await Promise.all([
      api("counts"),
      api(`results?${filterParams()}`),
      api(`stats?minutes=${state.info.windowMinutes}`),
    ]);
    renderCounts(counts);
    renderList(page);
    renderCharts(stats);
    if (state.refreshFailed) say("");
    state.refreshFailed = false;
  } catch (error) {
    say(`Refresh failed: ${error.message}`, true);
    state.refreshFailed = true;
  }
  if (detailId() !== null) await showDetail(actionButtons);
}

function connect() {
  const events = new EventSource("api/events");
  const connection = $("#connection");
  events.addEventListener("hello", () => {
    connection.textContent = "live";
    connection.className = "connection live";
    refreshSoon(0); // after a reconnection, catch up on what was missed
  });
  events.addEventListener("changes", (event) => {
    const { changes } = JSON.parse(event.data);
    for (const change of changes) applyChange(change.row);
    refreshSoon();
  });
  events.addEventListener("error", () => {
    connection.textContent = events.readyState === EventSource.CLOSED ? "disconnected: reload" : "reconnecting…";
    connection.className = "connection down";
  });
}

function wireControls() {
  const form = $("#filters");
  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("change", filtersChanged);
  let typing = null;
  form.addEventListener("input", (e) => {
    if (e.target.tagName !== "INPUT") return;
    clearTimeout(typing);
    typing = setTimeout(filtersChanged, 250);
  });
  $("#clear-filters").addEventListener("click", () => {
    form.reset();
    filtersChanged();
  });
  $("#older").addEventListener("click", () => {
    if (state.next === null) return;
    state.cursors.push(state.next);
    refreshSoon(0);
  });
  $("#newer").addEventListener("click", () => {
    state.cursors.pop();
    refreshSoon(0);
  });
  $("#detail-close").addEventListener("click", () => {
    closeDetail();
    void showDetail(actionButtons);
  });
  window.addEventListener("hashchange", () => void showDetail(actionButtons));
  // Relative times and running durations age even when nothing changes.
  setInterval(() => {
    for (const tr of document.querySelectorAll("#results tbody tr")) {
      const row = state.rows.get(tr.dataset.id);
      if (row === undefined) continue;
      tr.querySelector(".when").textContent = ago(row.enqueuedAt);
      tr.querySelector(".run").textContent = duration(runOf(row));
    }
  }, 1000);
}

async function start() {
  state.info = await api("info");
  $("#backend").textContent = `backend '${state.info.backend}'`;
  $("#scope").textContent = `Showing ${state.info.scope}.`;
  $("#read-only").hidden = !state.info.readOnly;
  document.body.classList.toggle("read-only", state.info.readOnly);
  wireControls();
  await refresh();
  connect();
}

start().catch((error) => say(`The dashboard could not start: ${error.message}`, true));
