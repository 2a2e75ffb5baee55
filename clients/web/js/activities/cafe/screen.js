// World cafés on the big screen: the round ("Round 2 of 4"), its time left on the
// server's clock, the topics, and the harvests the presenter puts on the screen
// (`cafe:spotlight`: the latest few, each with its table, topic and author).

import { userText } from "../../core/a11y.js";
import { ServerClock, clockText } from "../../core/clock.js";
import { $, el, setText } from "../../core/dom.js";
import { formatNumber, t, tParts } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { CAFE, mergeCafe } from "./model.js";

const MAX_TOPICS = 8; // more than this many topics: "and N more"

let ctx = null; // the page shell's context (js/screen.js)
const clock = new ServerClock();
const view = {
  cafe: null,
  spotlight: [],
  seated: 0,
  warned: null, // the round whose cafe:warning came
  timer: null,
};

function mount(shell) {
  ctx = shell;
  ctx.stage.append(
    el(
      "section",
      { id: "screen-cafe", class: "screen-cafe", hidden: true, "aria-labelledby": "screen-cafe-title" },
      el("p", { id: "screen-cafe-status", class: "screen-status" }),
      el("h1", { id: "screen-cafe-title", class: "screen-question", dir: "auto" }),
      el(
        "div",
        { class: "screen-cafe-clock" },
        el("p", { id: "screen-cafe-round", class: "screen-cafe-round" }),
        el("p", { id: "screen-cafe-time", class: "screen-cafe-time", role: "timer" }),
      ),
      el(
        "div",
        { class: "screen-cafe-body" },
        el(
          "section",
          { id: "screen-cafe-topics-box", class: "screen-cafe-topics", "aria-labelledby": "screen-cafe-topics-title" },
          el("h2", { id: "screen-cafe-topics-title", dataset: { i18n: "cafe.screen_topics" } }, t("cafe.screen_topics")),
          el("ol", { id: "screen-cafe-topics" }),
        ),
        el(
          "section",
          { id: "screen-cafe-harvests-box", class: "screen-cafe-harvests", "aria-labelledby": "screen-cafe-harvests-title", hidden: true },
          el("h2", { id: "screen-cafe-harvests-title", dataset: { i18n: "cafe.screen_harvests" } }, t("cafe.screen_harvests")),
          el("ul", { id: "screen-cafe-harvests" }),
        ),
      ),
    ),
  );
}

function applyState(msg) {
  clock.learn(msg.server_time);
  const activity = msg.activity;
  if (!activity || activity.type !== CAFE.type || !activity.cafe) {
    if (view.cafe) clear();
    else ctx.leaveStage(CAFE.type);
    return;
  }
  setCafe(activity.cafe);
  view.spotlight = activity.spotlight || [];
  view.seated = seatedIn(activity.tables);
  ctx.enterStage(CAFE.type);
  render();
}

function seatedIn(tables) {
  return (tables || []).reduce((n, table) => n + (table && table.members ? table.members.length : 0), 0);
}

function setCafe(incoming) {
  const known = view.cafe && view.cafe.id === incoming.id ? view.cafe : null;
  if (!known) {
    view.spotlight = [];
    view.seated = 0;
    view.warned = null;
  }
  view.cafe = mergeCafe(known, incoming);
}

function clear() {
  view.cafe = null;
  view.spotlight = [];
  stopTimer();
  $("screen-cafe").hidden = true;
  ctx.leaveStage(CAFE.type);
}

function ours(msg) {
  return Boolean(msg && view.cafe && msg.cafe_id === view.cafe.id);
}

// -- drawing -------------------------------------------------------------------------------
function render() {
  const cafe = view.cafe;
  if (!cafe) return;
  const section = $("screen-cafe");
  section.hidden = false;
  section.dataset.status = cafe.status;
  section.dataset.round = String(cafe.round || 0);
  setText("screen-cafe-status", t("cafe.eyebrow"));
  setText("screen-cafe-title", cafe.title || t("cafe.eyebrow"));
  renderClock();
  const topics = cafe.topics || [];
  const shown = topics.slice(0, MAX_TOPICS).map((topic) => el("li", { dir: "auto" }, topic));
  if (topics.length > MAX_TOPICS) {
    shown.push(el("li", { class: "screen-cafe-more" }, t("cafe.screen_more_topics", { count: topics.length - MAX_TOPICS })));
  }
  $("screen-cafe-topics").replaceChildren(...shown);
  renderHarvests();
  setText(ctx.total, formatNumber(view.seated));
  setText(ctx.totalLabel, t("cafe.seated_word", { count: view.seated }));
  if (cafe.status === "open" && cafe.round) startTimer();
  else stopTimer();
}

function renderClock() {
  const cafe = view.cafe;
  if (!cafe) return;
  const time = $("screen-cafe-time");
  const left = clock.left(cafe.ends_at);
  let round = "";
  let text = "";
  let state = "idle";
  if (cafe.status === "closed") {
    text = t("cafe.screen_ended");
    state = "ended";
  } else if (!cafe.round) {
    text = t("cafe.screen_not_started");
  } else if (left > 0) {
    round = t("cafe.screen_round", { round: cafe.round, rounds: cafe.rounds });
    text = t("cafe.time_left", { time: clockText(left) });
    state = view.warned === cafe.round ? "warning" : "running";
  } else {
    round = t("cafe.screen_round", { round: cafe.round, rounds: cafe.rounds });
    text = cafe.round >= cafe.rounds ? t("cafe.screen_last_over") : t("cafe.screen_round_over", { round: cafe.round });
    state = "up";
  }
  const roundNode = $("screen-cafe-round");
  roundNode.hidden = !round;
  setText(roundNode, round);
  time.dataset.state = state;
  if (time.textContent !== text) setText(time, text);
}

function renderHarvests() {
  const items = view.spotlight.map((s) =>
    el(
      "li",
      { class: "screen-cafe-harvest", dataset: { author: s.author_id, harvestId: s.harvest_id } },
      el("p", { class: "screen-cafe-harvest-text", dir: "auto" }, s.text),
      el(
        "p",
        { class: "screen-cafe-harvest-meta" },
        tParts("cafe.screen_harvest_meta", { table: s.table, topic: userText(s.topic || ""), name: userText(s.author_name || "") }),
      ),
    ),
  );
  // The newest first: it is the one the presenter just picked.
  $("screen-cafe-harvests").replaceChildren(...items.reverse());
  $("screen-cafe-harvests-box").hidden = items.length === 0;
  $("screen-cafe").classList.toggle("with-harvests", items.length > 0);
}

function startTimer() {
  if (view.timer === null) view.timer = setInterval(renderClock, 1000);
}

function stopTimer() {
  if (view.timer !== null) clearInterval(view.timer);
  view.timer = null;
}

// -- server messages -----------------------------------------------------------------------
function onStarted(msg) {
  clock.learn(msg.ts);
  setCafe(msg.cafe);
  ctx.enterStage(CAFE.type);
  render();
}

function onRound(msg) {
  clock.learn(msg.ts);
  if (!ours(msg)) {
    ctx.refresh(); // a café we do not show: we missed its cafe:started
    return;
  }
  if (msg.round < (view.cafe.round || 0)) return;
  view.cafe = { ...view.cafe, round: msg.round, ends_at: msg.ends_at };
  view.seated = seatedIn(msg.tables);
  render();
}

function onTable(msg) {
  if (!ours(msg) || msg.round !== view.cafe.round) return;
  if (msg.joined) view.seated += 1;
  if (msg.left) view.seated = Math.max(0, view.seated - 1);
  setText(ctx.total, formatNumber(view.seated));
  setText(ctx.totalLabel, t("cafe.seated_word", { count: view.seated }));
}

function onWarning(msg) {
  if (!ours(msg)) return;
  clock.learn(msg.ts);
  view.warned = msg.round;
  renderClock();
}

function onRoundEnded(msg) {
  if (!ours(msg)) return;
  clock.learn(msg.ts);
  renderClock();
}

function onEnded(msg) {
  if (!msg || !msg.cafe || !view.cafe || msg.cafe.id !== view.cafe.id) return;
  setCafe(msg.cafe);
  render();
}

function onSpotlight(msg) {
  if (!ours(msg)) return;
  view.spotlight = msg.harvests || [];
  renderHarvests();
}

registerKind({
  ...CAFE,
  screen: {
    mount,
    applyState,
    clear: () => view.cafe && clear(),
    localeChanged: () => view.cafe && render(),
    ended: () => {
      stopTimer();
      $("screen-cafe").hidden = true;
    },
    messages: {
      "cafe:started": onStarted,
      "cafe:round": onRound,
      "cafe:table": onTable,
      "cafe:warning": onWarning,
      "cafe:round_ended": onRoundEnded,
      "cafe:ended": onEnded,
      "cafe:spotlight": onSpotlight,
    },
  },
});
