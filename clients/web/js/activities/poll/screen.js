// Polls on the big screen: the question on stage and its live results (or, with
// `&hide=1`, a note until the presenter reveals them).

import { $, el, setText } from "../../core/dom.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { mergeActivity, missedChange, newerResults } from "../../core/sync.js";
import { POLL, PollResultsView, kindLabel } from "./model.js";

let ctx = null; // the page shell's context (js/screen.js)
let poll = null; // the poll on stage (with results)
let chart = null;

function mount(shell) {
  ctx = shell;
  ctx.stage.append(
    el(
      "section",
      { id: "screen-poll", class: "screen-poll", hidden: true },
      el("p", { id: "screen-status", class: "screen-status" }),
      el("h1", { id: "question", class: "screen-question", dir: "auto" }),
      el("div", { id: "chart", class: "results chart screen-chart" }),
      el(
        "p",
        { id: "hidden-note", class: "screen-hidden-note", hidden: true, dataset: { i18n: "poll.results_soon" } },
        t("poll.results_soon"),
      ),
    ),
  );
  chart = new PollResultsView($("chart"), { totalEl: ctx.total });
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
    ctx.leaveStage(POLL.type);
    return;
  }
  const known = samePoll(incoming.id) ? poll : null;
  poll = mergeActivity(known, incoming);
  poll.results = [known && known.results, incoming.results, results].reduce(newerResults, null);
  ctx.enterStage(POLL.type);
  const section = $("screen-poll");
  section.hidden = false;
  section.dataset.status = poll.status;
  section.dataset.kind = poll.kind;
  setText("question", poll.question);
  const status = t(poll.status === "open" ? "poll.open" : poll.status === "closed" ? "poll.closed" : "poll.coming_up");
  setText("screen-status", `${kindLabel(poll)} · ${status}`);
  const hidden = ctx.hideUntilRevealed && !poll.revealed;
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
  const total = poll && poll.results ? poll.results.total : 0;
  setText(ctx.totalLabel, t("results.answers_word", { count: total }));
}

/** The page switched language: redraw the poll on stage. */
function localeChanged() {
  if (!poll) return;
  setPoll(poll);
  chart.render();
}

registerKind({
  ...POLL,
  screen: {
    mount,
    applyState,
    clear: () => poll && setPoll(null),
    localeChanged,
    ended: () => {
      $("screen-poll").hidden = true;
    },
    messages: {
      "poll:opened": (msg) => {
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
        poll.results = newerResults(poll.results, results);
        chart.update(results);
        setTotalLabel();
      },
    },
  },
});
