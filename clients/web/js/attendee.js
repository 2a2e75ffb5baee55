// The attendee page: join an event, answer the poll on stage, see revealed results.
// An answer is kept until the server acknowledges it and re-sent with the same vote_id
// after a reconnect, a timeout or an `unavailable` error, so it never counts twice.

import {
  CHOICE_KINDS,
  KIND_LABELS,
  ResultsView,
  call,
  connectSocket,
  describeAnswer,
  el,
  errorText,
  mergePoll,
  missedChange,
  newVoteId,
  newerResults,
  normaliseCode,
  readParams,
  refreshWhenVisible,
  setText,
  showConnection,
  stateRefresher,
  trackConnection,
} from "./common.js";

const VOTE_TIMEOUT_MS = 8000;
const RETRYABLE = new Set(["unavailable", "timeout", "offline", "rate_limited"]);

const $ = (id) => document.getElementById(id);

// -- local storage (never fatal: private modes may refuse it) ------------------------
const storage = {
  get(key) {
    try {
      const raw = window.localStorage.getItem(key);
      return raw === null ? null : JSON.parse(raw);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      if (value === null || value === undefined) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* storage unavailable: the page still works, without resume */
    }
  },
};
const tokenKey = (code) => `plenary.token.${code}`;
const answersKey = (code) => `plenary.answers.${code}`;
const pendingKey = (code) => `plenary.pending.${code}`;
const PROFILE_KEY = "plenary.profile";

// -- state ------------------------------------------------------------------------
const state = {
  code: "",
  socket: null,
  attendee: null,
  poll: null, // the poll on stage (poll object + results)
  answers: {}, // poll_id -> stored answer, as acknowledged by the server
  pending: null, // {poll_id, choice, vote_id}: sent or to send, not yet acknowledged
  queued: null, // a newer answer chosen while `pending` was in flight
  inFlight: false,
  attempts: 0,
  retryTimer: null,
  note: null, // {poll_id, kind: "error" | "info", text}
  builtFor: null, // poll id + kind the answer area was built for
};

const resultsView = new ResultsView($("results"), { totalEl: $("results-total") });

// -- join -------------------------------------------------------------------------
function init() {
  const params = readParams();
  const profile = storage.get(PROFILE_KEY) || {};
  const code = normaliseCode(params.event || params.code || "");
  $("event-code").value = code;
  $("name").value = profile.name || "";
  $("country").value = profile.country || "";
  $("organisation").value = profile.organisation || "";
  $("join-form").addEventListener("submit", onJoin);
  $("leave").addEventListener("click", onLeave);
  refreshWhenVisible(() => state.socket, (snapshot) => applyState(snapshot, false));
  if (code && storage.get(tokenKey(code))) {
    startSession(code); // resume as the same attendee
  } else {
    showJoin();
    (code ? $("name") : $("event-code")).focus();
  }
}

function showJoin(message) {
  $("join-view").hidden = false;
  $("event-view").hidden = true;
  const error = $("join-error");
  error.hidden = !message;
  setText(error, message || "");
  $("join").disabled = false;
  setText("join", "Join");
}

function onJoin(evt) {
  evt.preventDefault();
  const code = normaliseCode($("event-code").value);
  const profile = {
    name: $("name").value.trim(),
    country: $("country").value.trim(),
    organisation: $("organisation").value.trim(),
  };
  if (!code) return showJoin("Enter the event code.");
  if (!profile.name) {
    showJoin("Enter your name to join.");
    $("name").focus();
    return;
  }
  const previous = storage.get(PROFILE_KEY) || {};
  if (previous.name !== profile.name) {
    // Someone else (or a new name) on this device: join as a new attendee.
    storage.set(tokenKey(code), null);
    storage.set(answersKey(code), null);
    storage.set(pendingKey(code), null);
  }
  storage.set(PROFILE_KEY, profile);
  const url = new URL(window.location.href);
  url.searchParams.set("event", code);
  window.history.replaceState(null, "", url);
  $("join").disabled = true;
  setText("join", "Joining…");
  startSession(code);
}

function onLeave() {
  if (state.socket) state.socket.disconnect();
  state.socket = null;
  storage.set(tokenKey(state.code), null);
  storage.set(answersKey(state.code), null);
  storage.set(pendingKey(state.code), null);
  clearTimeout(state.retryTimer);
  Object.assign(state, { attendee: null, poll: null, answers: {}, pending: null, queued: null, note: null, builtFor: null });
  showConnection("offline", "Left the event");
  setText("event-title", "");
  showJoin();
}

/** The connect `auth`, rebuilt at every (re)connect so the latest token is sent. */
function authPayload() {
  const auth = { event: state.code, role: "attendee" };
  const token = storage.get(tokenKey(state.code));
  if (token) auth.token = token;
  const profile = storage.get(PROFILE_KEY) || {};
  // With a token the name only matters if the server no longer knows the token.
  if (profile.name) auth.name = profile.name;
  if (profile.country) auth.country = profile.country;
  if (profile.organisation) auth.organisation = profile.organisation;
  return auth;
}

function startSession(code) {
  if (state.socket) state.socket.disconnect();
  state.code = code;
  state.answers = storage.get(answersKey(code)) || {};
  state.pending = storage.get(pendingKey(code));
  const socket = connectSocket(authPayload);
  state.socket = socket;
  trackConnection(socket, (info) => onRefused(socket, info));
  socket.on("welcome", (msg) => applyState(msg, true));
  socket.on("poll:opened", onOpened);
  socket.on("poll:closed", onClosed);
  socket.on("poll:revealed", onRevealed);
  socket.on("poll:results", onResults);
  socket.on("error", onServerError);
  socket.on("event:ended", () => showEnded(socket));
  socket.on("disconnect", () => renderStatus());
}

function onRefused(socket, info) {
  if (socket !== state.socket) return;
  if (info.code === "event_ended") {
    showEnded(socket);
    return;
  }
  if (info.code === "bad_token" || info.code === "name_required") {
    storage.set(tokenKey(state.code), null);
    showJoin(info.code === "bad_token" ? "Your earlier session has expired: join again." : errorText(info));
    return;
  }
  showJoin(errorText(info));
}

/** The organiser ended the event: nothing more to answer, no reconnecting. */
function showEnded(socket) {
  if (socket !== state.socket) return;
  socket.disconnect();
  clearTimeout(state.retryTimer);
  state.pending = null;
  state.queued = null;
  storage.set(pendingKey(state.code), null);
  $("join-view").hidden = true;
  $("event-view").hidden = true;
  $("ended-view").hidden = false;
  showConnection("offline", "Event ended");
}

// -- server messages ----------------------------------------------------------------
/** `welcome` (and `state:get`): the whole state; after a reconnect too. */
function applyState(msg, isWelcome) {
  if (isWelcome && msg.token) storage.set(tokenKey(state.code), msg.token);
  state.attendee = msg.attendee || state.attendee;
  $("join-view").hidden = true;
  $("event-view").hidden = false;
  const title = (msg.event && msg.event.title) || "";
  setText("event-title", title);
  document.title = title ? `${title} · Plenary` : "Plenary";
  if (state.attendee) {
    setText("attendee-name", state.attendee.name);
    setText("attendee-id", state.attendee.id);
  }
  const activity = msg.activity;
  if (activity && activity.type === "poll" && activity.poll) {
    const poll = activity.poll;
    // The server's stored answer is the truth (it may be newer or gone).
    if (poll.my_answer !== null && poll.my_answer !== undefined) rememberAnswer(poll.id, poll.my_answer);
    else forgetAnswer(poll.id);
    setPoll(poll);
  } else {
    setPoll(null);
  }
  flushPending();
}

/** A missed broadcast (the poll's state_seq jumped): fetch the whole state. */
const refreshState = stateRefresher(
  () => state.socket,
  (snapshot) => applyState(snapshot, false),
  { jitterMs: 3000 },
);

function checkMissed(poll) {
  if (missedChange(state.poll, poll)) refreshState();
}

function onOpened(msg) {
  if (!msg || !msg.poll) return;
  checkMissed(msg.poll);
  setPoll(msg.poll);
}

function onClosed(msg) {
  if (!msg || !state.poll || msg.poll_id !== state.poll.id) return;
  checkMissed(msg.poll);
  setPoll(msg.poll, msg.results);
}

function onRevealed(msg) {
  if (!msg || !state.poll || msg.poll_id !== state.poll.id) return;
  checkMissed(msg.poll);
  setPoll({ ...msg.poll, revealed: true }, msg.results);
}

function onResults(results) {
  if (!state.poll || !results || results.poll_id !== state.poll.id) return;
  state.poll.results = newerResults(state.poll.results, results);
  renderResults();
}

function onServerError(msg) {
  const error = (msg && msg.error) || {};
  state.note = { poll_id: state.poll && state.poll.id, kind: "error", text: errorText(error) };
  renderStatus();
  // The welcome could not be built: ask for the state again shortly.
  refreshState();
}

// -- the poll on stage ---------------------------------------------------------------
function setPoll(incoming, results) {
  if (!incoming) {
    state.poll = null;
    renderPoll();
    return;
  }
  const known = state.poll && state.poll.id === incoming.id ? state.poll : null;
  const merged = mergePoll(known, incoming);
  merged.results = [known && known.results, incoming.results, results].reduce(newerResults, null);
  delete merged.my_answer;
  if (!known) state.note = null;
  state.poll = merged;
  renderPoll();
}

function rememberAnswer(pollId, answer) {
  state.answers[pollId] = answer;
  storage.set(answersKey(state.code), state.answers);
}

function forgetAnswer(pollId) {
  if (pollId in state.answers) {
    delete state.answers[pollId];
    storage.set(answersKey(state.code), state.answers);
  }
}

function renderPoll() {
  const poll = state.poll;
  $("waiting").hidden = Boolean(poll);
  $("poll").hidden = !poll;
  if (!poll) {
    state.builtFor = null;
    resultsView.setPoll(null);
    return;
  }
  const article = $("poll");
  article.dataset.pollId = poll.id;
  article.dataset.kind = poll.kind;
  article.dataset.status = poll.status;
  setText("poll-kind", KIND_LABELS[poll.kind] || poll.kind);
  setText("question", poll.question);
  const buildKey = `${poll.id}:${poll.kind}`;
  if (state.builtFor !== buildKey) {
    buildAnswerArea(poll);
    state.builtFor = buildKey;
  }
  const open = poll.status === "open";
  $("poll-closed").hidden = poll.status !== "closed";
  setText("poll-hint", open ? hintFor(poll) : "");
  updateAnswerArea(poll, open);
  renderResults();
  renderStatus();
}

function hintFor(poll) {
  switch (poll.kind) {
    case "single":
      return "Tap one answer. You can change it while voting is open.";
    case "multiple":
      return "Choose one or more, then send.";
    case "rating":
      return `Tap a rating from 1 to ${poll.scale || 5}.`;
    case "wordcloud":
      return "A word or short phrase (up to 40 characters).";
    case "open_text":
      return "Your answer, up to 280 characters.";
    default:
      return "";
  }
}

function buildAnswerArea(poll) {
  const area = $("answer-area");
  delete area.dataset.touched;
  const parts = [];
  if (poll.kind === "single") {
    parts.push(
      el(
        "div",
        { class: "options", role: "group", "aria-label": "Answers" },
        (poll.options || []).map((o) =>
          el("button", { type: "button", class: "option", dataset: { option: o.id }, onclick: () => submit(o.id) }, o.label),
        ),
      ),
    );
  } else if (poll.kind === "multiple") {
    const form = el(
      "form",
      { id: "multiple-form", class: "options" },
      (poll.options || []).map((o) =>
        el(
          "label",
          { class: "option check", dataset: { option: o.id } },
          el("input", { type: "checkbox", name: "choice", value: o.id }),
          el("span", { class: "option-label" }, o.label),
        ),
      ),
      el("button", { id: "submit-answer", type: "submit", class: "button primary big" }, "Send"),
    );
    form.addEventListener("submit", (evt) => {
      evt.preventDefault();
      const checked = new Set([...form.querySelectorAll("input[name=choice]:checked")].map((i) => i.value));
      const choice = (poll.options || []).map((o) => o.id).filter((id) => checked.has(id));
      if (!choice.length) {
        state.note = { poll_id: poll.id, kind: "error", text: "Choose at least one option." };
        renderStatus();
        return;
      }
      submit(choice);
    });
    form.addEventListener("change", (evt) => {
      area.dataset.touched = "1";
      const label = evt.target.closest("label.option");
      if (label) label.classList.toggle("checked", evt.target.checked);
    });
    parts.push(form);
  } else if (poll.kind === "rating") {
    const scale = poll.scale || 5;
    parts.push(
      el(
        "div",
        { class: `options rating rating-${scale}`, role: "group", "aria-label": "Rating" },
        Array.from({ length: scale }, (_, i) => i + 1).map((n) =>
          el("button", { type: "button", class: "option", dataset: { option: String(n) }, onclick: () => submit(n) }, String(n)),
        ),
      ),
      el("div", { class: "rating-ends muted small" }, el("span", {}, "1 = low"), el("span", {}, `${scale} = high`)),
    );
  } else {
    const max = poll.kind === "wordcloud" ? 40 : 280;
    const field =
      poll.kind === "wordcloud"
        ? el("input", { id: "text-answer", type: "text", maxlength: max, autocomplete: "off", placeholder: "Your word" })
        : el("textarea", { id: "text-answer", maxlength: max, rows: 4, placeholder: "Your answer" });
    const counter = el("span", { id: "text-counter", class: "muted small" }, `0 / ${max}`);
    const form = el(
      "form",
      { id: "text-form", class: "text-form" },
      field,
      el("div", { class: "text-form-row" }, counter, el("button", { id: "submit-answer", type: "submit", class: "button primary" }, "Send")),
    );
    field.addEventListener("input", () => setText(counter, `${field.value.length} / ${max}`));
    form.addEventListener("submit", (evt) => {
      evt.preventDefault();
      const text = field.value.trim();
      if (!text) {
        state.note = { poll_id: poll.id, kind: "error", text: "Type an answer first." };
        renderStatus();
        return;
      }
      submit(text);
    });
    parts.push(form);
  }
  area.replaceChildren(...parts);
}

/** Enable/disable inputs and mark the stored (or sending) answer. */
function updateAnswerArea(poll, open) {
  const area = $("answer-area");
  const pending = state.pending && state.pending.poll_id === poll.id ? state.pending : null;
  const queued = state.queued && state.queued.poll_id === poll.id ? state.queued : null;
  const shown = queued ? queued.choice : pending ? pending.choice : state.answers[poll.id];
  const chosen = new Set((Array.isArray(shown) ? shown : shown === undefined || shown === null ? [] : [shown]).map(String));
  area.classList.toggle("disabled", !open);
  for (const node of area.querySelectorAll("button, input, textarea")) node.disabled = !open;
  if (CHOICE_KINDS.has(poll.kind) || poll.kind === "rating") {
    for (const option of area.querySelectorAll("[data-option]")) {
      const selected = chosen.has(option.dataset.option);
      option.classList.toggle("selected", selected);
      option.classList.toggle("sending", selected && Boolean(pending || queued));
      if (option.tagName === "BUTTON") option.setAttribute("aria-pressed", String(selected));
      const box = option.querySelector("input[type=checkbox]");
      // Do not undo a selection the person is making; show the stored one otherwise.
      if (box && !area.dataset.touched) {
        box.checked = selected;
        option.classList.toggle("checked", selected);
      }
    }
  }
}

function renderResults() {
  const poll = state.poll;
  const section = $("results-section");
  const visible = Boolean(poll && poll.revealed && poll.results);
  section.hidden = !visible;
  if (!visible) return;
  if (!resultsView.poll || resultsView.poll.id !== poll.id) resultsView.setPoll(poll);
  else {
    resultsView.poll = poll;
    resultsView.update(poll.results);
  }
}

/** "#answer-status": sending, the error, or "Your answer: ...". */
function renderStatus() {
  const node = $("answer-status");
  const poll = state.poll;
  if (!poll) return;
  const pending = [state.queued, state.pending].find((v) => v && v.poll_id === poll.id);
  const note = state.note && state.note.poll_id === poll.id ? state.note : null;
  const stored = state.answers[poll.id];
  let text = "";
  let kind = "";
  if (pending) {
    const connected = state.socket && state.socket.connected;
    text = connected
      ? `Sending your answer: ${describeAnswer(poll, pending.choice)}…`
      : `Not connected: your answer (${describeAnswer(poll, pending.choice)}) will be sent when the connection is back.`;
    if (note && note.kind === "info") text = note.text;
    kind = "sending";
  } else if (note && note.kind === "error") {
    text = note.text;
    kind = "error";
    if (stored !== undefined) text += ` Your answer: ${describeAnswer(poll, stored)}`;
  } else if (stored !== undefined && stored !== null) {
    text = `Your answer: ${describeAnswer(poll, stored)}`;
    kind = "saved";
  } else if (poll.status === "open") {
    text = "";
  }
  node.dataset.state = kind;
  setText(node, text);
}

// -- sending answers -------------------------------------------------------------------
function submit(choice) {
  const poll = state.poll;
  if (!poll || poll.status !== "open") return;
  const vote = { poll_id: poll.id, choice, vote_id: newVoteId() };
  state.note = null;
  if (state.inFlight) {
    state.queued = vote; // sent when the one in flight is answered
  } else {
    clearTimeout(state.retryTimer);
    state.pending = vote;
    state.attempts = 0;
  }
  savePending();
  renderPoll();
  if (!state.inFlight) send();
}

function savePending() {
  storage.set(pendingKey(state.code), state.queued || state.pending);
}

/** After a (re)connect: send what is waiting, with its original vote_id. */
function flushPending() {
  if (state.pending && !state.inFlight) {
    clearTimeout(state.retryTimer);
    send();
  }
}

async function send() {
  const vote = state.pending;
  if (!vote || state.inFlight) return;
  if (!state.socket || !state.socket.connected) {
    renderStatus(); // sent by flushPending() after the next welcome
    return;
  }
  state.inFlight = true;
  const ack = await call(state.socket, "poll:vote", vote, VOTE_TIMEOUT_MS);
  state.inFlight = false;
  if (state.pending !== vote) return; // left the event meanwhile
  if (ack.ok) {
    rememberAnswer(vote.poll_id, ack.choice);
    if (state.poll && state.poll.id === vote.poll_id) state.note = null;
    return next();
  }
  const error = ack.error || {};
  if (RETRYABLE.has(error.code)) {
    if (state.queued) return next(); // a newer answer replaces this one
    if (error.code === "offline") {
      renderPoll(); // resent after the next welcome
      return;
    }
    state.attempts += 1;
    const backoff = Math.min(15000, 1000 * 2 ** Math.min(state.attempts - 1, 4));
    const delay = error.code === "rate_limited" && error.retry_after_ms ? error.retry_after_ms : backoff;
    state.note = {
      poll_id: vote.poll_id,
      kind: "info",
      text: `${errorText(error)} Retrying your answer in ${Math.ceil(delay / 1000)} s…`,
    };
    renderPoll();
    state.retryTimer = setTimeout(send, delay + Math.random() * 300);
    return;
  }
  // Refused for good (closed poll, bad choice, ...): nothing was stored.
  state.note = { poll_id: vote.poll_id, kind: "error", text: errorText(error) };
  next();
}

/** The acknowledged (or refused) answer is done: move on to a queued one, if any. */
function next() {
  state.pending = state.queued;
  state.queued = null;
  state.attempts = 0;
  savePending();
  if (!state.pending) delete $("answer-area").dataset.touched;
  const textField = $("text-answer");
  if (textField && !state.pending && state.note === null) {
    textField.value = "";
    textField.dispatchEvent(new Event("input"));
  }
  renderPoll();
  if (state.pending) send();
}

init();
