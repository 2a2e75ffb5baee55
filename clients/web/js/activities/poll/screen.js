// Polls on the big screen: the question on stage, its options, and its results once the
// presenter reveals them. Reveal governs the screen: before it the server sends a screen
// no results, unless the presenter turned on the poll's screen switch (`screen_live`:
// live results on the screen); `&hide=1` keeps this screen to the reveal even then.
// Everything fits the screen (js/screen.js shrinks the stage's text): many options go
// in two columns, and the least frequent text answers leave when even the smallest text
// would not fit (`trim`).

import { $, el, setText } from "../../core/dom.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { mergeActivity, missedChange, newerResults } from "../../core/sync.js";
import { CHOICE_KINDS, POLL, PollResultsView, TEXT_KINDS, kindLabel } from "./model.js";

/** More options than this go in two columns. */
const ONE_COLUMN_MAX = 6;

let ctx = null; // the page shell's context (js/screen.js)
let poll = null; // the poll on stage (with results when the screen may show them)
let chart = null;

function mount(shell) {
  ctx = shell;
  ctx.stage.append(
    el(
      "section",
      { id: "screen-poll", class: "screen-poll", hidden: true },
      el("p", { id: "screen-status", class: "screen-status" }),
      el("h1", { id: "question", class: "screen-question", dir: "auto" }),
      el("ol", { id: "screen-options", class: "screen-options", hidden: true }),
      el("div", { id: "chart", class: "results chart screen-chart" }),
      el(
        "p",
        { id: "hidden-note", class: "screen-hidden-note", hidden: true, dataset: { i18n: "poll.results_soon" } },
        t("poll.results_soon"),
      ),
    ),
  );
  chart = new PollResultsView($("chart"), { totalEl: ctx.total });
  // Results redrawn (new counts): fit them again.
  const draw = chart.draw;
  chart.draw = (...args) => {
    draw(...args);
    arrange();
  };
}

/** Whether this screen shows the poll's results: once revealed, or live when the
 *  presenter turned the screen switch on (and this screen is not `&hide=1`). */
function showsResults(item) {
  return Boolean(item && (item.revealed || (item.screen_live && !ctx.hideUntilRevealed)));
}

/** `welcome` (and `state:get`): show the poll on stage, if it is one. */
function applyState(msg) {
  const activity = msg.activity;
  setPoll(activity && activity.type === POLL.type && activity.poll ? activity.poll : null);
}

function samePoll(pollId) {
  return Boolean(poll && poll.id === pollId);
}

function checkMissed(incoming) {
  if (missedChange(poll, incoming)) ctx.refresh();
}

function setPoll(incoming, results = null) {
  if (!incoming) {
    poll = null;
    $("screen-poll").hidden = true;
    chart.setPoll(null);
    ctx.showTotal(true);
    ctx.leaveStage(POLL.type);
    return;
  }
  const known = samePoll(incoming.id) ? poll : null;
  poll = mergeActivity(known, incoming);
  const shown = showsResults(poll);
  poll.results = shown ? [known && known.results, incoming.results, results].reduce(newerResults, null) : null;
  ctx.enterStage(POLL.type);
  const section = $("screen-poll");
  section.hidden = false;
  section.dataset.status = poll.status;
  section.dataset.kind = poll.kind;
  section.dataset.results = shown ? "shown" : "hidden";
  setText("question", poll.question);
  const status = t(poll.status === "open" ? "poll.open" : poll.status === "closed" ? "poll.closed" : "poll.coming_up");
  setText("screen-status", `${kindLabel(poll)} · ${status}`);
  drawOptions(shown);
  $("chart").hidden = !shown;
  $("hidden-note").hidden = shown;
  ctx.showTotal(shown);
  if (!shown) chart.setPoll(null);
  else if (!chart.poll || chart.poll.id !== poll.id) chart.setPoll(poll);
  else {
    chart.poll = poll;
    if (!chart.update(poll.results)) chart.render();
  }
  setTotalLabel();
  arrange();
}

/** Before the results: the options of a choice poll, so that the room can read them. */
function drawOptions(shown) {
  const list = $("screen-options");
  const options = !shown && CHOICE_KINDS.has(poll.kind) ? poll.options || [] : [];
  list.hidden = options.length === 0;
  list.classList.toggle("two-columns", options.length > ONE_COLUMN_MAX);
  list.replaceChildren(
    ...options.map((o) => el("li", { class: "screen-option", dataset: { option: o.id } }, el("span", { dir: "auto", text: o.label }))),
  );
}

/** Lay the results out for the screen: two columns of bars when there are many. */
function arrange() {
  const bars = $("chart").querySelector(".bars:not(.bars-rating)");
  if (bars) bars.classList.toggle("two-columns", bars.children.length > ONE_COLUMN_MAX);
  ctx.fit();
}

/**
 * Called by the page when even its smallest text does not fit: leave out the least
 * frequent text answer shown (they come most frequent first) and say how many are
 * shown. Returns whether it left one out.
 */
function trim() {
  if (!poll || !TEXT_KINDS.has(poll.kind) || $("screen-poll").hidden) return false;
  const words = [...$("chart").querySelectorAll(".words > li:not([hidden])")];
  if (words.length <= 1) return false;
  words[words.length - 1].hidden = true;
  const shown = words.length - 1;
  const results = poll.results || {};
  const distinct = Math.max(results.distinct || 0, Object.keys(results.counts || {}).length);
  let note = $("chart").querySelector(".screen-trim-note");
  if (!note) {
    // The chart's own "top N of M" note (if any) gives way to this one.
    for (const old of $("chart").querySelectorAll(":scope > p.muted")) old.hidden = true;
    note = el("p", { class: "muted screen-trim-note" });
    $("chart").append(note);
  }
  setText(note, t("results.top_of", { shown, distinct }));
  return true;
}

function setTotalLabel() {
  const total = poll && poll.results ? poll.results.total : 0;
  setText(ctx.totalLabel, t("results.answers_word", { count: total }));
}

/** The page switched language: redraw the poll on stage. */
function localeChanged() {
  if (!poll) return;
  setPoll(poll);
  if (showsResults(poll)) chart.render();
}

registerKind({
  ...POLL,
  screen: {
    mount,
    applyState,
    clear: () => poll && setPoll(null),
    localeChanged,
    trim,
    ended: () => {
      $("screen-poll").hidden = true;
    },
    messages: {
      "poll:opened": (msg) => {
        checkMissed(msg.poll);
        setPoll(msg.poll);
      },
      "poll:updated": (msg) => {
        // A change of the poll on stage (the screen switch, moderation): drafts and
        // other polls are not this screen's business.
        if (!msg || !msg.poll || !samePoll(msg.poll.id)) return;
        checkMissed(msg.poll);
        setPoll(msg.poll);
      },
      "poll:closed": (msg) => {
        if (!samePoll(msg.poll_id)) return;
        checkMissed(msg.poll);
        setPoll(msg.poll, msg.results);
      },
      "poll:revealed": (msg) => {
        if (!samePoll(msg.poll_id)) return;
        checkMissed(msg.poll);
        setPoll({ ...msg.poll, revealed: true }, msg.results);
      },
      "poll:results": (results) => {
        // Live results of a poll we do not show: we missed its poll:opened.
        if (!samePoll(results.poll_id) && !results.final) ctx.refresh();
        if (!samePoll(results.poll_id)) return;
        // Sent before the screen switch went off: not for this screen any more.
        if (!showsResults(poll)) return;
        poll.results = newerResults(poll.results, results);
        if (!chart.poll || chart.poll.id !== poll.id) chart.setPoll(poll);
        else chart.update(results);
        setTotalLabel();
      },
    },
  },
});
