// The big screen: join instructions, the question on stage and its live results.
// Read-only (role "screen"). `?event=CODE`; add `&hide=1` to show results only once the
// presenter reveals them.

import {
  KIND_LABELS,
  ResultsView,
  connectSocket,
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

const params = readParams();
const state = {
  code: normaliseCode(params.event || ""),
  hideUntilRevealed: ["1", "true", "yes"].includes(String(params.hide || "").toLowerCase()),
  poll: null,
};

const chart = new ResultsView($("chart"), { totalEl: $("total") });

function init() {
  if (!state.code) {
    showError("Open this page as /screen?event=CODE.");
    return;
  }
  const joinUrl = `${window.location.origin}/?event=${encodeURIComponent(state.code)}`;
  const shortUrl = joinUrl.replace(/^https?:\/\//, "");
  setText("join-url", shortUrl);
  setText("idle-url", `${window.location.host}`);
  setText("join-code", state.code);
  setText("idle-code", state.code);
  $("join-url").title = joinUrl;

  const socket = connectSocket({ event: state.code, role: "screen" });
  trackConnection(socket, (info) => (info.code === "event_ended" ? showEnded() : showError(errorText(info))));
  socket.on("welcome", applyState);
  refreshWhenVisible(() => socket, applyState);
  socket.on("presence", (p) => setText("online", p.online ?? 0));
  socket.on("event:ended", () => {
    socket.disconnect(); // new connections are refused from now on
    showEnded();
  });
  const refreshState = stateRefresher(() => socket, applyState);
  socket.on("error", () => refreshState()); // the server could not build our state
  const checkMissed = (poll) => missedChange(state.poll, poll) && refreshState();
  socket.on("poll:opened", (msg) => {
    checkMissed(msg.poll);
    setPoll(msg.poll);
  });
  socket.on("poll:closed", (msg) => {
    if (!samePoll(msg.poll_id)) return;
    checkMissed(msg.poll);
    setPoll(msg.poll, msg.results);
  });
  socket.on("poll:revealed", (msg) => {
    if (!samePoll(msg.poll_id)) return;
    checkMissed(msg.poll);
    setPoll({ ...msg.poll, revealed: true }, msg.results);
  });
  socket.on("poll:results", (results) => {
    // Live results of a poll we do not show: we missed its poll:opened.
    if (!samePoll(results.poll_id) && !results.final) refreshState();
    if (!samePoll(results.poll_id)) return;
    state.poll.results = newerResults(state.poll.results, results);
    chart.update(results);
    setTotalLabel();
  });
}

/** `welcome` (and `state:get`): the whole state. */
function applyState(msg) {
  $("screen-error").hidden = true;
  const title = (msg.event && msg.event.title) || "";
  setText("event-title", title);
  document.title = title ? `${title} · Plenary` : "Screen · Plenary";
  if (msg.presence) setText("online", msg.presence.online ?? 0);
  const current = msg.activity && msg.activity.poll;
  setPoll(current || null);
}

function showEnded() {
  $("screen-idle").hidden = true;
  $("screen-poll").hidden = true;
  $("screen-ended").hidden = false;
  showConnection("offline", "Event ended");
}

function samePoll(pollId) {
  return Boolean(state.poll && state.poll.id === pollId);
}

function showError(text) {
  const node = $("screen-error");
  node.hidden = !text;
  setText(node, text);
}

function setPoll(incoming, results = null) {
  if (!incoming) {
    state.poll = null;
    $("screen-idle").hidden = false;
    $("screen-poll").hidden = true;
    chart.setPoll(null);
    return;
  }
  const known = samePoll(incoming.id) ? state.poll : null;
  const poll = mergePoll(known, incoming);
  poll.results = [known && known.results, incoming.results, results].reduce(newerResults, null);
  state.poll = poll;
  $("screen-idle").hidden = true;
  $("screen-poll").hidden = false;
  $("screen-poll").dataset.status = poll.status;
  $("screen-poll").dataset.kind = poll.kind;
  setText("question", poll.question);
  const status = poll.status === "open" ? "Voting open" : poll.status === "closed" ? "Voting closed" : "Coming up";
  setText("screen-status", `${KIND_LABELS[poll.kind] || poll.kind} · ${status}`);
  const hidden = state.hideUntilRevealed && !poll.revealed;
  $("chart").hidden = hidden;
  $("hidden-note").hidden = !hidden;
  if (!chart.poll || chart.poll.id !== poll.id) chart.setPoll(poll);
  else {
    chart.poll = poll;
    if (!chart.update(poll.results)) chart.render();
  }
  setTotalLabel();
}

function setTotalLabel() {
  const total = state.poll && state.poll.results ? state.poll.results.total : 0;
  setText("total-label", total === 1 ? "answer" : "answers");
}

init();
