// The admin view: events on this deployment, attendee counts, what is on stage, the
// health of every server process and of the store; end or purge an event.
// Token in the URL fragment (`/admin#token=...`, never sent to server logs) or typed in.
// Talks to GET /api/admin/overview, POST /api/events/{code}/end and
// DELETE /api/events/{code} (docs/protocol.md). Text from people goes in as text only.
// The activity on stage is described by its kind (js/activities/<kind>/admin.js).

import { showConnection } from "./core/connection.js";
import { $, el, readParams, setText, whenLoaded } from "./core/dom.js";
import { setupI18n } from "./core/i18n.js";
import { activityNoun, kindOf } from "./core/kinds.js";

const REFRESH_MS = 2000;
let token = readParams().token || "";
let timer = null;

async function api(method, path) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token}` },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = body.error ? body.error.message : `HTTP ${response.status}`;
    throw Object.assign(new Error(message), { status: response.status });
  }
  return body;
}

function showError(text) {
  const node = $("admin-error");
  node.hidden = !text;
  setText(node, text || "");
}

function ago(ms) {
  return ms < 1500 ? "just now" : `${Math.round(ms / 1000)} s ago`;
}

function renderProcesses(processes) {
  const body = $("processes").querySelector("tbody");
  body.replaceChildren(
    ...processes.map((p) =>
      el(
        "tr",
        { dataset: { process: p.id } },
        el("td", {}, el("code", {}, p.id)),
        el("td", { class: p.alive ? "" : "silent" }, p.alive ? ago(p.last_seen_ms) : `silent (${ago(p.last_seen_ms)})`),
        el("td", { class: "num" }, String(p.attendees_online)),
      ),
    ),
  );
}

/** An End / Purge button, described by its row's code (the same label on every row). */
function actionButton(label, code, action) {
  return el(
    "button",
    {
      class: "button small-button",
      type: "button",
      dataset: { action, code },
      "aria-describedby": `event-${code}`,
      onclick: () => act(action, code),
    },
    label,
  );
}

/** What is on stage, as its kind describes it (else its type). */
function onStage(current) {
  const kind = kindOf(current.type);
  const text = kind && kind.admin && kind.admin.onStage ? kind.admin.onStage(current) : "";
  return text || current.type;
}

/** An event's rooms with their attendees online and what is on their stage (only
 * when it has rooms besides the main one). */
function roomList(rooms) {
  if (rooms.length < 2) return null;
  return el(
    "ul",
    { class: "rooms", "aria-label": "Rooms" },
    ...rooms.map((r) => {
      const stage = r.current ? ` · ${onStage(r.current)} (${r.current.status})` : "";
      const closed = r.closed ? " · closed" : "";
      return el(
        "li",
        { dataset: { room: r.id } },
        el("span", { dir: "auto" }, r.title),
        `: ${r.online} online${stage}${closed}`,
      );
    }),
  );
}

function renderEvents(events) {
  const body = $("events").querySelector("tbody");
  $("no-events").hidden = events.length > 0;
  body.replaceChildren(
    ...events.map((e) => {
      const stage = e.current ? `${onStage(e.current)} (${e.current.status})` : "—";
      const ended = e.ended_at !== null && e.ended_at !== undefined;
      return el(
        "tr",
        { dataset: { event: e.code }, class: ended ? "state-ended" : "" },
        el("td", {}, el("code", { id: `event-${e.code}` }, e.code)),
        el("td", { dir: "auto" }, e.title, roomList(e.rooms || [])),
        el("td", { class: "num", dataset: { field: "online" } }, String(e.online)),
        el("td", { class: "num", dataset: { field: "joined" } }, String(e.joined)),
        el("td", { dir: "auto" }, stage),
        el("td", { dataset: { field: "state" } }, ended ? "ended" : "live"),
        el(
          "td",
          { class: "actions" },
          ended ? null : actionButton("End", e.code, "end"),
          actionButton("Purge", e.code, "purge"),
        ),
      );
    }),
  );
}

async function act(action, code) {
  const question =
    action === "end"
      ? `End event ${code}? The open ${activityNoun("admin")} closes, nobody can join any more, and the answers are exported.`
      : `Purge event ${code}? Its live data is deleted now (after an export to disk).`;
  if (!window.confirm(question)) return;
  try {
    if (action === "end") await api("POST", `/api/events/${encodeURIComponent(code)}/end`);
    else await api("DELETE", `/api/events/${encodeURIComponent(code)}`);
    showError("");
  } catch (err) {
    showError(`${action} ${code}: ${err.message}`);
  }
  await refresh();
}

async function refresh() {
  try {
    const data = await api("GET", "/api/admin/overview");
    $("login").hidden = true;
    $("overview").hidden = false;
    showError("");
    showConnection("connected", "Live");
    setText("store-backend", data.store.backend);
    $("store-ok").dataset.ok = String(data.store.ok);
    setText("store-ok", data.store.ok ? "healthy" : "unreachable");
    setText("answering-process", data.process);
    renderProcesses(data.processes);
    renderEvents(data.events);
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      stop();
      $("overview").hidden = true;
      $("login").hidden = false;
      showConnection("refused", "Token refused");
      showError(err.message);
    } else {
      showConnection("reconnecting", "Retrying");
      showError(`Cannot load the overview: ${err.message}`);
    }
  }
}

function stop() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

function start() {
  stop();
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
}

$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = $("token-input").value.trim();
  start();
});

// After every module of the page ran (the kinds are registered by then), and once the
// (English) catalogue is loaded.
whenLoaded(async () => {
  await setupI18n({ only: ["en"] });
  if (token) start();
  else $("login").hidden = false;
});
