// The presenter console: create polls, open / close / reveal them, watch live results,
// see how many attendees are online, export the answers.

import {
  CHOICE_KINDS,
  KIND_LABELS,
  ResultsView,
  call,
  connectSocket,
  el,
  errorText,
  mergePoll,
  missedChange,
  newerResults,
  normaliseCode,
  readParams,
  refreshWhenVisible,
  setText,
  showConnection,
  stateRefresher,
  trackConnection,
} from "./common.js";

const $ = (id) => document.getElementById(id);

const state = {
  code: "",
  key: "",
  socket: null,
  polls: new Map(), // id -> poll (with results)
  order: [], // poll ids, oldest first
  currentId: null, // the poll on stage (last opened)
  selectedId: null, // the poll shown in the chart
  ended: false,
};

const chart = new ResultsView($("chart"), { totalEl: $("total") });

function init() {
  const params = readParams();
  state.code = normaliseCode(params.event || "");
  state.key = params.key || "";
  $("setup-form").addEventListener("submit", onSetup);
  $("create-form").addEventListener("submit", onCreate);
  $("kind-select").addEventListener("change", syncKindFields);
  $("polls").addEventListener("click", onPollsClick);
  for (const button of document.querySelectorAll("[data-stage-action]")) {
    button.addEventListener("click", () => state.selectedId && act(button.dataset.stageAction, state.selectedId));
  }
  $("export-json").addEventListener("click", () => exportAnswers("json"));
  $("export-csv").addEventListener("click", () => exportAnswers("csv"));
  syncKindFields();
  refreshWhenVisible(() => state.socket, applyState);
  if (!state.code || !state.key) {
    $("setup").hidden = false;
    $("setup-code").value = state.code;
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
  state.code = code;
  state.key = key;
  start();
}

function showSetupError(text) {
  $("setup").hidden = false;
  $("console").hidden = true;
  if (!$("setup-code").value) $("setup-code").value = state.code;
  const node = $("setup-error");
  node.hidden = !text;
  setText(node, text);
}

function start() {
  if (state.socket) state.socket.disconnect();
  $("setup").hidden = true;
  $("setup-error").hidden = true;
  const joinUrl = `${window.location.origin}/?event=${encodeURIComponent(state.code)}`;
  setText("join-code", state.code);
  const link = $("join-url");
  link.href = joinUrl;
  setText(link, joinUrl.replace(/^https?:\/\//, ""));
  $("screen-link").href = `/screen?event=${encodeURIComponent(state.code)}`;

  const socket = connectSocket({ event: state.code, role: "presenter", key: state.key });
  state.socket = socket;
  trackConnection(socket, (info) => {
    if (socket === state.socket) showSetupError(errorText(info));
  });
  socket.on("welcome", applyState);
  socket.on("presence", showPresence);
  socket.on("event:ended", () => {
    state.ended = true;
    $("ended-banner").hidden = false;
    $("console").classList.add("ended");
    socket.disconnect(); // new connections are refused from now on
    showConnection("offline", "Event ended");
    render();
  });
  socket.on("poll:created", (msg) => upsert(msg.poll));
  socket.on("poll:opened", (msg) => {
    checkMissed(msg.poll);
    upsert(msg.poll);
    state.currentId = msg.poll.id;
    state.selectedId = msg.poll.id; // follow what is on stage
    render();
  });
  socket.on("poll:closed", (msg) => {
    checkMissed(msg.poll);
    upsert(msg.poll, msg.results);
  });
  socket.on("poll:revealed", (msg) => {
    checkMissed(msg.poll);
    upsert({ ...msg.poll, revealed: true }, msg.results);
  });
  socket.on("poll:results", (results) => {
    const poll = state.polls.get(results.poll_id);
    if (!poll) {
      refreshState(); // results of a poll we never heard of: we missed its poll:created
      return;
    }
    if (newerResults(poll.results, results) !== poll.results) {
      poll.results = results;
      // Up to 4 a second: touch only this poll's count and the chart.
      const count = document.querySelector(`[data-poll-id="${CSS.escape(poll.id)}"] .answers`);
      if (count) setText(count, results.total);
      if (poll.id === state.selectedId) renderStage();
    }
  });
  socket.on("error", (msg) => {
    // The server could not build our state: show why, and ask again a little later.
    toast(errorText(msg && msg.error));
    refreshState();
  });

}

/** A missed broadcast (a poll's state_seq jumped): fetch the whole state. */
const refreshState = stateRefresher(() => state.socket, (snapshot) => applyState(snapshot));

function checkMissed(poll) {
  if (poll && missedChange(state.polls.get(poll.id), poll)) refreshState();
}

// -- state -------------------------------------------------------------------------
function applyState(msg) {
  $("console").hidden = false;
  $("setup").hidden = true;
  const title = (msg.event && msg.event.title) || "";
  setText("event-title", title);
  document.title = title ? `${title} · Presenter · Plenary` : "Presenter · Plenary";
  if (msg.event && msg.event.code) setText("join-code", msg.event.code);
  // A welcome replaces our state: polls it does not list are gone. Each listed poll is
  // still merged with our copy, which may be newer (a broadcast can overtake a welcome).
  if (Array.isArray(msg.polls)) {
    const listed = new Set(msg.polls.map((p) => p.id));
    for (const id of [...state.polls.keys()]) if (!listed.has(id)) state.polls.delete(id);
    state.order = state.order.filter((id) => listed.has(id));
  }
  for (const poll of msg.polls || []) upsert(poll, null, false);
  const current = msg.activity && msg.activity.poll;
  if (current) upsert(current, null, false);
  state.currentId = current ? current.id : null;
  if (!state.selectedId || !state.polls.has(state.selectedId)) {
    state.selectedId = state.currentId || state.order[state.order.length - 1] || null;
  }
  if (msg.presence) showPresence(msg.presence);
  render();
}

/** Add or update a poll; results only replace older ones (by seq). */
function upsert(incoming, results = null, redraw = true) {
  if (!incoming || !incoming.id) return;
  const known = state.polls.get(incoming.id);
  const merged = mergePoll(known, incoming);
  merged.results = [known && known.results, incoming.results, results].reduce(newerResults, null);
  state.polls.set(incoming.id, merged);
  if (!state.order.includes(incoming.id)) {
    state.order.push(incoming.id);
    state.order.sort((a, b) => (state.polls.get(a).created_at || 0) - (state.polls.get(b).created_at || 0));
  }
  if (redraw) render();
}

function showPresence(presence) {
  setText("online", presence.online ?? 0);
  setText("joined", presence.joined ?? 0);
}

// -- rendering -----------------------------------------------------------------------
function render() {
  $("create-button").disabled = state.ended;
  renderList();
  renderStage();
}

function statusText(poll) {
  if (poll.status === "open") return "Open";
  if (poll.status === "closed") return "Closed";
  return "Draft";
}

function renderList() {
  const list = $("polls");
  $("polls-empty").hidden = state.order.length > 0;
  const rows = state.order.map((id) => {
    const poll = state.polls.get(id);
    const total = poll.results ? poll.results.total : 0;
    const row = el(
      "li",
      {
        class:
          "poll-row" + (id === state.selectedId ? " selected" : "") + (id === state.currentId ? " on-stage" : ""),
        dataset: { pollId: id, status: poll.status, revealed: String(Boolean(poll.revealed)) },
      },
      el(
        "button",
        { type: "button", class: "poll-select", dataset: { action: "select" }, title: "Show results" },
        el("span", { class: `status status-${poll.status}`, text: statusText(poll) }),
        el("span", { class: "poll-question", text: poll.question }),
        el(
          "span",
          { class: "poll-meta" },
          `${KIND_LABELS[poll.kind] || poll.kind} · `,
          el("span", { class: "answers", text: String(total) }),
          " answered",
          poll.revealed ? " · revealed" : "",
        ),
      ),
      el(
        "span",
        { class: "poll-actions" },
        actionButton("open", poll.status === "closed" ? "Reopen" : "Open", poll.status === "open"),
        actionButton("close", "Close", poll.status !== "open"),
        actionButton("reveal", poll.revealed ? "Revealed" : "Reveal", Boolean(poll.revealed)),
      ),
    );
    return row;
  });
  list.replaceChildren(...rows);
}

function actionButton(action, label, disabled) {
  return el(
    "button",
    { type: "button", class: "button small-button", dataset: { action }, disabled: disabled || state.ended },
    label,
  );
}

function renderStage() {
  const poll = state.selectedId ? state.polls.get(state.selectedId) : null;
  const stage = $("stage");
  if (!poll) {
    setText("stage-meta", "No poll selected");
    setText("stage-question", state.order.length ? "Select a poll" : "Create a poll to get started");
    chart.setPoll(null);
    for (const b of document.querySelectorAll("[data-stage-action]")) b.disabled = true;
    delete stage.dataset.selectedPoll;
    return;
  }
  stage.dataset.selectedPoll = poll.id;
  stage.dataset.status = poll.status;
  const onStage = poll.id === state.currentId && poll.status === "open" ? " · on stage" : "";
  setText("stage-meta", `${KIND_LABELS[poll.kind] || poll.kind} · ${statusText(poll)}${poll.revealed ? " · revealed" : ""}${onStage}`);
  setText("stage-question", poll.question);
  if (!chart.poll || chart.poll.id !== poll.id) chart.setPoll(poll);
  else {
    chart.poll = poll;
    if (!chart.update(poll.results)) chart.render();
  }
  const total = poll.results ? poll.results.total : 0;
  setText("total-label", total === 1 ? "answer" : "answers");
  const disabled = {
    open: poll.status === "open",
    close: poll.status !== "open",
    reveal: Boolean(poll.revealed),
  };
  for (const b of document.querySelectorAll("[data-stage-action]")) {
    const action = b.dataset.stageAction;
    b.disabled = disabled[action] || state.ended;
    if (action === "open") setText(b, poll.status === "closed" ? "Reopen" : "Open");
    if (action === "reveal") setText(b, poll.revealed ? "Revealed" : "Reveal results");
  }
}

// -- actions -------------------------------------------------------------------------
function onPollsClick(evt) {
  const button = evt.target.closest("button[data-action]");
  const row = evt.target.closest("[data-poll-id]");
  if (!button || !row) return;
  const id = row.dataset.pollId;
  if (button.dataset.action === "select") {
    state.selectedId = id;
    render();
    return;
  }
  act(button.dataset.action, id);
}

async function act(action, pollId) {
  const buttons = document.querySelectorAll(
    `[data-poll-id="${CSS.escape(pollId)}"] [data-action="${action}"], [data-stage-action="${action}"]`,
  );
  for (const b of buttons) b.disabled = true;
  const ack = await call(state.socket, `poll:${action}`, { poll_id: pollId });
  if (ack.ok) {
    upsert(action === "reveal" ? { ...ack.poll, revealed: true } : ack.poll, ack.results || null, false);
    if (action === "open") {
      state.currentId = pollId;
      state.selectedId = pollId;
    }
  } else {
    toast(`Could not ${action} the poll: ${errorText(ack.error)}`);
  }
  render();
}

function syncKindFields() {
  const kind = $("kind-select").value;
  $("options-field").hidden = !CHOICE_KINDS.has(kind);
  $("scale-field").hidden = kind !== "rating";
}

async function onCreate(evt) {
  evt.preventDefault();
  const error = $("create-error");
  const showError = (text) => {
    error.hidden = !text;
    setText(error, text || "");
  };
  const question = $("question-input").value.trim();
  const kind = $("kind-select").value;
  if (!question) return showError("Write a question first.");
  const payload = { question, kind };
  if (CHOICE_KINDS.has(kind)) {
    payload.options = $("options-input")
      .value.split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    if (payload.options.length < 2) return showError("Give at least two options, one per line.");
  } else if (kind === "rating") {
    payload.scale = Number($("scale-select").value);
  }
  showError("");
  const button = $("create-button");
  button.disabled = true;
  setText(button, "Creating…");
  const ack = await call(state.socket, "poll:create", payload);
  button.disabled = false;
  setText(button, "Create poll");
  if (!ack.ok) return showError(errorText(ack.error));
  upsert(ack.poll, null, false);
  state.selectedId = ack.poll.id;
  $("question-input").value = "";
  $("options-input").value = "";
  render();
}

async function exportAnswers(format) {
  const url = `/api/events/${encodeURIComponent(state.code)}/export?format=${format}`;
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${state.key}` } });
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        message = errorText((await response.json()).error);
      } catch {
        /* not JSON */
      }
      toast(`Export failed: ${message}`);
      return;
    }
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const name = match ? match[1] : `plenary-${state.code}.${format}`;
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

init();
