// The presenter console's shell: the presenter key, the connection, `welcome` and
// `state:get`, presence, the end of the event, the export, and the stage, which shows the
// selected activity in the life cycle every kind shares (draft -> open -> closed, results
// revealed or not). Each kind (js/activities/<kind>/presenter.js) adds its own cards (its
// list, its "new" form), draws its results on the stage and sends its own actions.
// The console is in English (the catalogue's `en`); what presenters type is shown as
// typed, with its own direction (dir="auto").

import {
  call,
  connectSocket,
  refreshWhenVisible,
  showConnection,
  stateRefresher,
  trackConnection,
} from "./core/connection.js";
import { $, el, normaliseCode, readParams, setText, whenLoaded } from "./core/dom.js";
import { staffErrorText } from "./core/errors.js";
import { setupI18n } from "./core/i18n.js";
import { activityNoun, kindOf, kindsFor } from "./core/kinds.js";
import { statusText } from "./core/sync.js";

const session = {
  code: "",
  key: "",
  socket: null,
  current: null, // {type, id}: the activity on stage (last opened)
  selected: null, // {type, id}: the activity shown on the stage card
  ended: false,
};

function eachKind(hook, ...args) {
  for (const kind of kindsFor("presenter")) {
    const fn = kind.presenter[hook];
    if (typeof fn === "function") fn(...args);
  }
}

const same = (ref, type, id) => Boolean(ref && ref.type === type && ref.id === id);

/** What the kinds get from the page (see clients/web/README.md). */
const ctx = {
  get socket() {
    return session.socket;
  },
  get code() {
    return session.code;
  },
  get ended() {
    return session.ended;
  },
  /** Where the kinds put their cards: the main column (lists) and the side (forms). */
  main: document.querySelector(".console-main"),
  side: document.querySelector(".console-side"),
  /** The stage's results area and its total. */
  chart: $("chart"),
  total: $("total"),
  totalLabel: $("total-label"),
  call: (event, payload) => call(session.socket, event, payload),
  toast: (text) => toast(text),
  refresh: () => refreshState(),
  render: () => render(),
  renderStage: () => renderStage(),
  select(type, id) {
    session.selected = { type, id };
  },
  setCurrent(type, id) {
    session.current = { type, id };
  },
  isSelected: (type, id) => same(session.selected, type, id),
  isCurrent: (type, id) => same(session.current, type, id),
};

function init() {
  eachKind("mount", ctx);
  const params = readParams();
  session.code = normaliseCode(params.event || "");
  session.key = params.key || "";
  $("setup-form").addEventListener("submit", onSetup);
  for (const button of document.querySelectorAll("[data-stage-action]")) {
    button.addEventListener("click", () => {
      const found = selectedItem();
      if (found) found.kind.presenter.act(button.dataset.stageAction, found.item.id);
    });
  }
  $("export-json").addEventListener("click", () => exportAnswers("json"));
  $("export-csv").addEventListener("click", () => exportAnswers("csv"));
  refreshWhenVisible(() => session.socket, applyState);
  if (!session.code || !session.key) {
    $("setup").hidden = false;
    $("setup-code").value = session.code;
    return;
  }
  start();
}

function onSetup(evt) {
  evt.preventDefault();
  const code = normaliseCode($("setup-code").value);
  const key = $("setup-key").value.trim();
  if (!code || !key) {
    showSetupError("Enter the event code and the presenter key.");
    return;
  }
  // The key stays in the fragment: it is never sent to the server in a URL.
  window.location.hash = new URLSearchParams({ event: code, key }).toString();
  session.code = code;
  session.key = key;
  start();
}

function showSetupError(text) {
  $("setup").hidden = false;
  $("console").hidden = true;
  if (!$("setup-code").value) $("setup-code").value = session.code;
  const node = $("setup-error");
  node.hidden = !text;
  setText(node, text);
}

function start() {
  if (session.socket) session.socket.disconnect();
  $("setup").hidden = true;
  $("setup-error").hidden = true;
  const joinUrl = `${window.location.origin}/?event=${encodeURIComponent(session.code)}`;
  setText("join-code", session.code);
  const link = $("join-url");
  link.href = joinUrl;
  setText(link, joinUrl.replace(/^https?:\/\//, ""));
  $("screen-link").href = `/screen?event=${encodeURIComponent(session.code)}`;

  const socket = connectSocket({ event: session.code, role: "presenter", key: session.key });
  session.socket = socket;
  trackConnection(socket, (info) => {
    if (socket === session.socket) showSetupError(staffErrorText(info));
  });
  socket.on("welcome", applyState);
  socket.on("presence", showPresence);
  socket.on("event:ended", () => {
    session.ended = true;
    setText(
      "ended-banner",
      `This event has ended: the open ${activityNoun("presenter")} was closed, nobody can join any ` +
        "more, and the answers were exported on the server.",
    );
    $("ended-banner").hidden = false;
    $("console").classList.add("ended");
    socket.disconnect(); // new connections are refused from now on
    showConnection("offline", "connection.ended");
    render();
  });
  for (const kind of kindsFor("presenter")) {
    for (const [name, handler] of Object.entries(kind.presenter.messages || {})) socket.on(name, handler);
  }
  socket.on("error", (msg) => {
    // The server could not build our state: show why, and ask again a little later.
    toast(staffErrorText(msg && msg.error));
    refreshState();
  });
}

/** A missed broadcast (an activity's state_seq jumped): fetch the whole state. */
const refreshState = stateRefresher(() => session.socket, (snapshot) => applyState(snapshot));

// -- state ------------------------------------------------------------------------------------
function applyState(msg) {
  $("console").hidden = false;
  $("setup").hidden = true;
  const title = (msg.event && msg.event.title) || "";
  setText("event-title", title);
  document.title = title ? `${title} · Presenter · Plenary` : "Presenter · Plenary";
  if (msg.event && msg.event.code) setText("join-code", msg.event.code);
  session.current = null; // the kind whose activity is on stage sets it again
  eachKind("applyState", msg);
  if (!selectedItem()) session.selected = session.current || newest();
  if (msg.presence) showPresence(msg.presence);
  render();
}

/** The selected activity and its kind, or null. */
function selectedItem() {
  const ref = session.selected;
  const kind = ref && kindOf(ref.type);
  const item = kind && kind.presenter ? kind.presenter.item(ref.id) : null;
  return item ? { kind, item } : null;
}

/** The most recently created activity of any kind, or null. */
function newest() {
  let best = null;
  for (const kind of kindsFor("presenter")) {
    for (const item of kind.presenter.items()) {
      if (!best || (item.created_at || 0) >= best.created_at) {
        best = { type: kind.type, id: item.id, created_at: item.created_at || 0 };
      }
    }
  }
  return best && { type: best.type, id: best.id };
}

function showPresence(presence) {
  setText("online", presence.online ?? 0);
  setText("joined", presence.joined ?? 0);
}

// -- rendering -------------------------------------------------------------------------------
function render() {
  eachKind("render");
  renderStage();
}

function renderStage() {
  const found = selectedItem();
  const stage = $("stage");
  const buttons = document.querySelectorAll("[data-stage-action]");
  if (!found) {
    const noun = activityNoun("presenter");
    const any = kindsFor("presenter").some((kind) => kind.presenter.items().length > 0);
    const a = /^[aeiou]/i.test(noun) ? "an" : "a";
    setText("stage-meta", `No ${noun} selected`);
    setText("stage-question", any ? `Select ${a} ${noun}` : `Create ${a} ${noun} to get started`);
    eachKind("drawStage", null);
    for (const b of buttons) b.disabled = true;
    delete stage.dataset.selected;
    delete stage.dataset.type;
    return;
  }
  const { kind, item } = found;
  stage.dataset.selected = item.id;
  stage.dataset.type = kind.type;
  stage.dataset.status = item.status;
  const onStage = ctx.isCurrent(kind.type, item.id) && item.status === "open" ? " · on stage" : "";
  const revealed = item.revealed ? " · revealed" : "";
  setText("stage-meta", `${kind.presenter.describe(item)} · ${statusText(item)}${revealed}${onStage}`);
  setText("stage-question", kind.presenter.title(item));
  kind.presenter.drawStage(item);
  const disabled = {
    open: item.status === "open",
    close: item.status !== "open",
    reveal: Boolean(item.revealed),
  };
  for (const b of buttons) {
    const action = b.dataset.stageAction;
    b.disabled = disabled[action] || session.ended;
    if (action === "open") setText(b, item.status === "closed" ? "Reopen" : "Open");
    if (action === "reveal") setText(b, item.revealed ? "Revealed" : "Reveal results");
  }
}

// -- export and messages ---------------------------------------------------------------------
async function exportAnswers(format) {
  const url = `/api/events/${encodeURIComponent(session.code)}/export?format=${format}`;
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${session.key}` } });
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        message = staffErrorText((await response.json()).error);
      } catch {
        /* not JSON */
      }
      toast(`Export failed: ${message}`);
      return;
    }
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const name = match ? match[1] : `plenary-${session.code}.${format}`;
    const href = URL.createObjectURL(blob);
    const a = el("a", { href, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10000);
  } catch (err) {
    toast(`Export failed: ${err && err.message ? err.message : "network error"}`);
  }
}

let toastTimer = null;
function toast(text) {
  const node = $("message");
  setText(node, text);
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    node.hidden = true;
  }, 6000);
}

// After every module of the page ran, and once the (English) catalogue is loaded.
whenLoaded(async () => {
  await setupI18n({ only: ["en"] });
  init();
});
