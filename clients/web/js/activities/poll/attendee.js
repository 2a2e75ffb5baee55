// Polls on the attendee page: the poll on stage, its answer area (buttons, check boxes, a
// rating scale or a text field), the attendee's answer and the results once revealed.
// An answer is kept until the server acknowledges it and re-sent with the same vote_id
// after a reconnect, a timeout or an `unavailable` error, so it never counts twice.
// Texts come from the catalogue's `poll.*` messages; a poll going on stage, closing or
// showing its results is announced to screen readers.

import { announce, focusIfLost } from "../../core/a11y.js";
import { $, el, setText, storage } from "../../core/dom.js";
import { errorText } from "../../core/errors.js";
import { formatNumber, t, tParts } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { Resender } from "../../core/resend.js";
import { mergeActivity, missedChange, newVoteId, newerResults } from "../../core/sync.js";
import { buildAnswerArea, clearTextAnswer, hintFor, updateAnswerArea } from "./answer-area.js";
import { POLL, PollResultsView, answerNode, kindLabel } from "./model.js";

// The keys predate the kinds registry: kept, so answers stored before an update resume.
const answersKey = (code) => `plenary.answers.${code}`;
const pendingKey = (code) => `plenary.pending.${code}`;

let ctx = null; // the page shell's context (js/attendee.js)
let voter = null; // sends `state.pending` (core/resend.js)
const state = {
  poll: null, // the poll on stage (poll object + results)
  answers: {}, // poll_id -> stored answer, as acknowledged by the server
  pending: null, // {poll_id, choice, vote_id}: sent or to send, not yet acknowledged
  queued: null, // a newer answer chosen while `pending` was in flight
  note: null, // {poll_id, kind: "error" | "info", parts: () => [text or nodes]}
  builtFor: null, // poll id + kind the answer area was built for
};
let resultsView = null;

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  voter = new Resender(ctx, "poll:vote", {
    pending: () => state.pending,
    acked: (vote, ack) => {
      rememberAnswer(vote.poll_id, ack.choice);
      if (state.poll && state.poll.id === vote.poll_id) state.note = null;
      next();
    },
    // Refused for good (closed poll, bad choice, ...): nothing was stored.
    refused: (vote, error) => {
      state.note = { poll_id: vote.poll_id, kind: "error", parts: () => [errorText(error)] };
      next();
    },
    superseded: () => {
      if (!state.queued) return false;
      next(); // a newer answer replaces this one
      return true;
    },
    retrying: (vote, error, seconds) => {
      state.note = { poll_id: vote.poll_id, kind: "info", parts: () => [errorText(error), " ", t("poll.retrying", { seconds })] };
      renderPoll();
    },
    notConnected: renderStatus,
    offline: renderPoll,
  });
  ctx.stage.append(
    el(
      "article",
      { id: "poll", class: "card poll", hidden: true },
      el("p", { id: "poll-kind", class: "eyebrow" }),
      // tabindex -1: the focus comes here when a poll replaces what had it.
      el("h1", { id: "question", class: "question", dir: "auto", tabindex: "-1" }),
      el("p", { id: "poll-hint", class: "muted small" }),
      el("div", { id: "answer-area", class: "answer-area" }),
      el(
        "p",
        { id: "poll-closed", class: "closed-banner", hidden: true, dataset: { i18n: "poll.closed" } },
        t("poll.closed"),
      ),
      el("p", { id: "answer-status", class: "answer-status", role: "status", "aria-live": "polite" }),
      el(
        "section",
        { id: "results-section", class: "results-section", hidden: true, "aria-labelledby": "results-heading" },
        el(
          "h2",
          { id: "results-heading" },
          el("span", { dataset: { i18n: "poll.results" } }, t("poll.results")),
          " ",
          el(
            "span",
            { id: "results-count", class: "muted small" },
            el("span", { id: "results-total" }, formatNumber(0)),
          ),
        ),
        el("div", { id: "results", class: "results" }),
      ),
    ),
  );
  resultsView = new PollResultsView($("results"), { totalEl: $("results-total"), onTotal: showResultsCount });
  showResultsCount(0);
}

/** "(12 answers)" after "Results", around #results-total (which keeps the bare number). */
function showResultsCount(total) {
  const node = $("results-count");
  if (node) node.replaceChildren(...tParts("poll.results_count", { count: total, total: $("results-total") }));
}

/** The page switched language: redraw what this kind wrote (the answer area keeps a text
 *  being typed). */
function localeChanged() {
  state.builtFor = null;
  renderPoll();
  if (state.poll && !$("results-section").hidden) resultsView.render();
  else showResultsCount(0);
}

/** A session starts (join or resume): what this device kept for the event. */
function start() {
  state.answers = storage.get(answersKey(ctx.code)) || {};
  state.pending = storage.get(pendingKey(ctx.code));
}

/** Forget what this device kept for event `code` (another person joins, or leaves). */
function forget(code) {
  storage.set(answersKey(code), null);
  storage.set(pendingKey(code), null);
  if (code !== ctx.code) return;
  voter.cancel();
  Object.assign(state, { poll: null, answers: {}, pending: null, queued: null, note: null, builtFor: null });
}

/** The event ended: nothing more to send. */
function stop() {
  voter.cancel();
  state.pending = null;
  state.queued = null;
  storage.set(pendingKey(ctx.code), null);
}

/** `welcome` (and `state:get`): the whole state; after a reconnect too. */
function applyState(msg) {
  const activity = msg.activity;
  if (activity && activity.type === POLL.type && activity.poll) {
    const poll = activity.poll;
    // The server's stored answer is the truth (it may be newer or gone).
    if (poll.my_answer !== null && poll.my_answer !== undefined) rememberAnswer(poll.id, poll.my_answer);
    else forgetAnswer(poll.id);
    setPoll(poll);
  } else {
    setPoll(null);
  }
  voter.flush();
}

/** Another kind's activity went on stage. */
function clear() {
  if (state.poll) setPoll(null);
}

/** The server could not build the state (`error` message). */
function serverError(error) {
  state.note = { poll_id: state.poll && state.poll.id, kind: "error", parts: () => [errorText(error)] };
  renderStatus();
}

// -- server messages ----------------------------------------------------------------------
function checkMissed(poll) {
  if (missedChange(state.poll, poll)) ctx.refresh();
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

/** A change of the poll's settings (the big screen's switch, moderation): nothing to show
 *  here, but the copy follows its state_seq, so that the next message shows no gap. */
function onUpdated(msg) {
  if (!msg || !msg.poll || !state.poll || msg.poll.id !== state.poll.id) return;
  checkMissed(msg.poll);
  state.poll = mergeActivity(state.poll, msg.poll);
}

/** The presenter deleted a poll: if it is the one shown, nothing is on stage now. */
function onDeleted(msg) {
  if (!msg || !state.poll || msg.poll_id !== state.poll.id) return;
  setPoll(null);
}

function onResults(results) {
  if (!state.poll || !results || results.poll_id !== state.poll.id) return;
  state.poll.results = newerResults(state.poll.results, results);
  renderResults();
}

// -- the poll on stage ----------------------------------------------------------------------
function setPoll(incoming, results) {
  if (!incoming) {
    state.poll = null;
    ctx.leaveStage(POLL.type);
    renderPoll();
    return;
  }
  const known = state.poll && state.poll.id === incoming.id ? state.poll : null;
  const merged = mergeActivity(known, incoming);
  merged.results = [known && known.results, incoming.results, results].reduce(newerResults, null);
  delete merged.my_answer;
  if (!known) state.note = null;
  state.poll = merged;
  ctx.enterStage(POLL.type);
  renderPoll();
  focusIfLost($("question"));
  // Say what changed by itself (a new poll, its end, its results) to screen readers.
  if (merged.status === "open" && !(known && known.status === "open")) {
    announce(t("poll.announce_opened", { question: merged.question }));
  } else if (merged.status === "closed" && known && known.status === "open") {
    announce(t("poll.announce_closed"));
  } else if (merged.revealed && merged.results && known && !known.revealed) {
    announce(t("poll.announce_revealed"));
  }
}

function rememberAnswer(pollId, answer) {
  state.answers[pollId] = answer;
  storage.set(answersKey(ctx.code), state.answers);
}

function forgetAnswer(pollId) {
  if (pollId in state.answers) {
    delete state.answers[pollId];
    storage.set(answersKey(ctx.code), state.answers);
  }
}

function renderPoll() {
  const poll = state.poll;
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
  setText("poll-kind", kindLabel(poll));
  setText("question", poll.question);
  const buildKey = `${poll.id}:${poll.kind}`;
  if (state.builtFor !== buildKey) {
    buildAnswerArea(poll, { submit, invalid: (text) => showNote(poll, "error", () => [text]) });
    state.builtFor = buildKey;
  }
  const open = poll.status === "open";
  $("poll-closed").hidden = poll.status !== "closed";
  setText("poll-hint", open ? hintFor(poll) : "");
  const pending = state.pending && state.pending.poll_id === poll.id ? state.pending : null;
  const queued = state.queued && state.queued.poll_id === poll.id ? state.queued : null;
  const shown = queued ? queued.choice : pending ? pending.choice : state.answers[poll.id];
  updateAnswerArea(poll, open, shown, Boolean(pending || queued));
  renderResults();
  renderStatus();
}

function showNote(poll, kind, parts) {
  state.note = { poll_id: poll.id, kind, parts };
  renderStatus();
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
  const hasStored = stored !== undefined && stored !== null;
  let parts = [];
  let kind = "";
  if (pending) {
    const connected = ctx.socket && ctx.socket.connected;
    const answer = answerNode(poll, pending.choice);
    parts = tParts(connected ? "poll.status_sending" : "poll.status_offline", { answer });
    if (note && note.kind === "info") parts = note.parts();
    kind = "sending";
  } else if (note && note.kind === "error") {
    parts = note.parts();
    kind = "error";
    if (hasStored) parts.push(" ", ...tParts("poll.status_saved", { answer: answerNode(poll, stored) }));
  } else if (hasStored) {
    parts = tParts("poll.status_saved", { answer: answerNode(poll, stored) });
    kind = "saved";
  }
  node.dataset.state = kind;
  // Only a change is written: the element is a live region, read out on every change.
  const next = el("span", {}, parts);
  if (next.textContent !== node.textContent || node.dataset.lang !== document.documentElement.lang) {
    node.replaceChildren(...next.childNodes);
    node.dataset.lang = document.documentElement.lang;
  }
}

// -- sending answers ------------------------------------------------------------------------
function submit(choice) {
  const poll = state.poll;
  if (!poll || poll.status !== "open") return;
  const vote = { poll_id: poll.id, choice, vote_id: newVoteId() };
  state.note = null;
  if (voter.inFlight) {
    state.queued = vote; // sent when the one in flight is answered
  } else {
    voter.restart();
    state.pending = vote;
  }
  savePending();
  renderPoll();
  if (!voter.inFlight) voter.send();
}

function savePending() {
  storage.set(pendingKey(ctx.code), state.queued || state.pending);
}

/** The acknowledged (or refused) answer is done: move on to a queued one, if any. */
function next() {
  state.pending = state.queued;
  state.queued = null;
  voter.restart();
  savePending();
  if (!state.pending) delete $("answer-area").dataset.touched;
  if (!state.pending && state.note === null) clearTextAnswer();
  renderPoll();
  if (state.pending) voter.send();
}

registerKind({
  ...POLL,
  attendee: {
    mount,
    start,
    forget,
    stop,
    applyState,
    clear,
    serverError,
    localeChanged,
    connectionChanged: renderStatus,
    messages: {
      "poll:opened": onOpened,
      "poll:closed": onClosed,
      "poll:revealed": onRevealed,
      "poll:results": onResults,
      "poll:updated": onUpdated,
      "poll:deleted": onDeleted,
    },
  },
});
