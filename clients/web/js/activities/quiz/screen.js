// Quizzes on the big screen: the lobby (the quiz's title), each question with its answer
// tiles (colour, shape and label: the phones show the same shapes), a countdown to the
// server's deadline (the server's clock), the live answer count; once the question
// closes, how many chose what (the right answers marked with a word, not only a colour)
// and the top 10, whose rows slide to their new places (not under
// prefers-reduced-motion); at the end, the podium, revealed third, second, first.

import { $, el, setText } from "../../core/dom.js";
import { formatNumber, formatPercent, t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import {
  Countdown,
  QUIZ,
  ServerClock,
  distributionRows,
  progressOf,
  secondsLeft,
  shapeIcon,
  stateStep,
  tileContent,
  tilesOf,
  topOf,
} from "./model.js";

const PODIUM_FIRST_MS = 800; // the third place appears after this
const PODIUM_STEP_MS = 1600; // then the second, then the first
const BOARD_MOVE_MS = 700;

let ctx = null; // the page shell's context (js/screen.js)
const clock = new ServerClock();
let countdown = null;
const reducedMotion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
const view = {
  quiz: null, // the quiz on stage as anyone sees it
  progress: -3,
  answered: 0, // answers to the open question (quiz:answers)
  reveal: null, // the last quiz:reveal
  ended: null, // quiz:ended
  podiumTimers: [],
  podiumFor: null, // the quiz whose podium is drawn
};

function moving() {
  return !(reducedMotion && reducedMotion.matches);
}

// -- the shell's hooks ----------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  countdown = new Countdown(clock, drawCountdown);
  ctx.stage.append(
    el(
      "section",
      { id: "screen-quiz", class: "screen-quiz", hidden: true, "aria-labelledby": "screen-quiz-question" },
      el(
        "div",
        { class: "screen-quiz-head" },
        el("p", { id: "screen-quiz-status", class: "screen-status" }),
        el(
          "div",
          { id: "screen-quiz-timer", class: "screen-quiz-timer", hidden: true },
          el("span", { id: "screen-quiz-countdown", class: "screen-quiz-countdown", role: "timer" }),
          el("span", { class: "quiz-timer-track", "aria-hidden": "true" }, el("span", { id: "screen-quiz-timer-fill", class: "quiz-timer-fill" })),
        ),
      ),
      el("h1", { id: "screen-quiz-question", class: "screen-question", dir: "auto" }),
      el("p", { id: "screen-quiz-sub", class: "screen-quiz-sub" }),
      el("ol", { id: "screen-quiz-tiles", class: "screen-quiz-tiles" }),
      el("p", { id: "screen-quiz-answered", class: "screen-quiz-answered" }),
      el(
        "div",
        { id: "screen-quiz-results", class: "screen-quiz-results", hidden: true },
        el(
          "section",
          { class: "screen-quiz-dist", "aria-labelledby": "screen-quiz-answer" },
          el("p", { id: "screen-quiz-answer", class: "screen-quiz-answer" }),
          el("ol", { id: "screen-quiz-distribution", class: "screen-quiz-distribution" }),
        ),
        el(
          "section",
          { class: "screen-quiz-board", "aria-labelledby": "screen-quiz-board-title" },
          el("h2", { id: "screen-quiz-board-title", dataset: { i18n: "quiz.leaderboard" } }, t("quiz.leaderboard")),
          el("ol", { id: "screen-quiz-leaderboard", class: "quiz-leaderboard" }),
        ),
      ),
      el(
        "section",
        { id: "screen-quiz-podium", class: "screen-quiz-podium", hidden: true, "aria-labelledby": "screen-quiz-podium-title" },
        el("h2", { id: "screen-quiz-podium-title", dataset: { i18n: "quiz.podium" } }, t("quiz.podium")),
        el("ol", { id: "screen-quiz-podium-places", class: "podium-places" }),
        el("p", { id: "screen-quiz-podium-empty", class: "screen-quiz-sub", hidden: true }),
      ),
    ),
  );
}

/** `welcome` (and `state:get`): show the quiz on stage, if it is one. */
function applyState(msg) {
  const step = stateStep(msg.activity, view.quiz, view.progress);
  if (!step) {
    if (view.quiz) setQuiz(null);
    return;
  }
  clock.sample(msg.server_time);
  if (step.stale) return;
  const { quiz, progress, sameStep } = step;
  if (typeof quiz.answered === "number" && !(sameStep && view.answered > quiz.answered)) {
    view.answered = quiz.answered;
  }
  if (quiz.reveal) view.reveal = quiz.reveal;
  if (quiz.ended) view.ended = quiz.ended;
  const { reveal: _r, ended: _e, answered: _a, ...rest } = quiz;
  // A screen that (re)connects at the end shows the podium at once.
  setQuiz(rest, progress, { instantPodium: !sameStep });
}

function setQuiz(quiz, progress, { instantPodium = false } = {}) {
  if (!quiz) {
    view.quiz = null;
    view.progress = -3;
    countdown.stop();
    clearPodium();
    $("screen-quiz").hidden = true;
    ctx.leaveStage(QUIZ.type);
    return;
  }
  const changed = !view.quiz || view.quiz.id !== quiz.id || view.progress !== progress;
  if (view.quiz && view.quiz.id !== quiz.id) Object.assign(view, { reveal: null, ended: null, answered: 0 });
  view.quiz = quiz;
  view.progress = progress;
  ctx.enterStage(QUIZ.type);
  render(changed, instantPodium);
}

// -- server messages ----------------------------------------------------------------------
function onStarted(msg) {
  if (!msg || !msg.quiz) return;
  clock.sample(msg.ts);
  const progress = progressOf(msg.quiz.phase, msg.quiz.index);
  if (view.quiz && view.quiz.id === msg.quiz.id && progress < view.progress) return;
  setQuiz(msg.quiz, progress);
}

function onQuestion(msg) {
  if (!msg || !msg.question) return;
  clock.sample(msg.ts);
  const progress = progressOf("question", msg.index);
  const known = view.quiz && view.quiz.id === msg.quiz_id ? view.quiz : null;
  if (known && progress <= view.progress) return;
  if (!known) ctx.refresh(); // the quiz's title: we missed quiz:started
  view.answered = 0;
  view.reveal = null;
  setQuiz(
    {
      ...(known || { id: msg.quiz_id, type: QUIZ.type, title: "" }),
      phase: "question",
      status: `question:${msg.question.id}`,
      index: msg.index,
      count: msg.count,
      question: msg.question,
      opened_at: msg.opened_at,
      deadline: msg.deadline,
    },
    progress,
  );
}

function onAnswers(msg) {
  const quiz = view.quiz;
  if (!msg || !quiz || msg.quiz_id !== quiz.id || quiz.phase !== "question" || !quiz.question) return;
  if (quiz.question.id !== msg.question_id) return;
  view.answered = Math.max(view.answered, msg.answered);
  renderAnswered();
}

function onReveal(msg) {
  const quiz = view.quiz;
  if (!msg || !quiz || msg.quiz_id !== quiz.id) return;
  clock.sample(msg.ts);
  const progress = progressOf("reveal", msg.index);
  if (progress < view.progress) return;
  if (!quiz.question || quiz.question.id !== msg.question_id) {
    ctx.refresh(); // we missed the question
    return;
  }
  view.reveal = msg;
  setQuiz({ ...quiz, phase: "reveal", status: `reveal:${msg.question_id}` }, progress);
}

function onEnded(msg) {
  const quiz = view.quiz;
  if (!msg || !quiz || msg.quiz_id !== quiz.id) return;
  clock.sample(msg.ts);
  view.ended = msg;
  setQuiz({ ...quiz, phase: "ended", status: "closed" }, progressOf("ended"));
}

// -- drawing ----------------------------------------------------------------------------------
function render(changed = true, instantPodium = false) {
  const quiz = view.quiz;
  if (!quiz) return;
  const section = $("screen-quiz");
  section.hidden = false;
  section.dataset.phase = quiz.phase;
  const question = quiz.question;
  const inQuestion = (quiz.phase === "question" || quiz.phase === "reveal") && question;
  section.dataset.kind = inQuestion ? question.kind : "";
  setText(
    "screen-quiz-status",
    inQuestion ? `${t("quiz.eyebrow")} · ${t("quiz.progress", { n: quiz.index + 1, count: quiz.count })}` : t("quiz.eyebrow"),
  );
  setText("screen-quiz-question", inQuestion ? question.question : quiz.title || t("quiz.eyebrow"));
  let sub = "";
  if (quiz.phase === "lobby") sub = t("quiz.screen_lobby");
  else if (quiz.phase === "reveal" && !view.reveal) sub = t("quiz.time_up");
  setText("screen-quiz-sub", sub);
  $("screen-quiz-sub").hidden = !sub;
  renderTimer();
  renderTiles(changed);
  renderAnswered();
  renderReveal();
  renderPodium(instantPodium);
}

function renderTimer() {
  const quiz = view.quiz;
  const running = quiz.phase === "question" && typeof quiz.deadline === "number";
  $("screen-quiz-timer").hidden = !running;
  if (running) countdown.start(quiz.deadline);
  else countdown.stop();
}

function drawCountdown(left) {
  const quiz = view.quiz;
  if (!quiz || quiz.phase !== "question") return;
  const seconds = secondsLeft(left);
  setText("screen-quiz-countdown", formatNumber(seconds));
  const limit = Math.max(1, (quiz.deadline || 0) - (quiz.opened_at || 0));
  $("screen-quiz-timer-fill").style.width = `${Math.max(0, Math.min(100, (left * 100) / limit)).toFixed(1)}%`;
  $("screen-quiz-timer").classList.toggle("quiz-timer-low", seconds <= 5);
}

/** The answer tiles while the question is open (the same shapes as on the phones). */
function renderTiles(changed) {
  const quiz = view.quiz;
  const list = $("screen-quiz-tiles");
  const show = quiz.phase === "question" && quiz.question;
  list.hidden = !show;
  if (!show) {
    list.replaceChildren();
    return;
  }
  if (!changed && list.childElementCount) return;
  const tiles = tilesOf(quiz.question);
  list.className = `screen-quiz-tiles tiles-${tiles.length}`;
  list.replaceChildren(
    ...tiles.map((tile) => el("li", { class: `quiz-tile tile-${tile.colour}`, dataset: { option: tile.id, shape: tile.shape } }, tileContent(tile))),
  );
}

function renderAnswered() {
  const quiz = view.quiz;
  if (!quiz) return;
  const dist = quiz.phase === "reveal" && view.reveal ? view.reveal.distribution : null;
  const count = dist ? dist.answered : view.answered;
  const shown = quiz.phase === "question" || Boolean(dist);
  const node = $("screen-quiz-answered");
  node.hidden = !shown;
  node.dataset.count = String(count);
  setText(node, shown ? t("results.answers", { count }) : "");
  setText(ctx.totalLabel, t("results.answers_word", { count: shown ? count : 0 }));
  setText(ctx.total, formatNumber(shown ? count : 0));
}

/** After the close: how many chose what, the right answer, the top 10. */
function renderReveal() {
  const quiz = view.quiz;
  const reveal = quiz.phase === "reveal" && view.reveal && quiz.question ? view.reveal : null;
  $("screen-quiz-results").hidden = !reveal;
  if (!reveal) return;
  const question = quiz.question;
  const dist = reveal.distribution || {};
  const rows = distributionRows(question, dist, reveal.correct);
  const total = dist.answered || 0;
  const max = Math.max(1, ...rows.map((r) => r.count));
  setText("screen-quiz-answer", t("quiz.players_right", { count: dist.correct || 0, players: dist.players || 0 }));
  $("screen-quiz-distribution").replaceChildren(
    ...rows.map((row) =>
      el(
        "li",
        {
          class: `quiz-dist-row${row.tile ? ` tile-${row.tile.colour}` : ""}${row.correct ? " is-correct" : ""}`,
          dataset: { option: row.id, correct: String(row.correct), count: String(row.count) },
        },
        el(
          "span",
          { class: "quiz-dist-label" },
          row.tile ? shapeIcon(row.tile.shape) : null,
          el("span", { dir: row.typed ? "auto" : null }, row.label),
        ),
        el(
          "span",
          { class: "quiz-dist-track", "aria-hidden": "true" },
          el("span", { class: "quiz-dist-fill", style: `width:${((row.count * 100) / max).toFixed(1)}%` }),
        ),
        el(
          "span",
          { class: "quiz-dist-figures" },
          el("span", { class: "count" }, formatNumber(row.count)),
          el("span", { class: "pct" }, formatPercent(total ? row.count / total : 0)),
        ),
        el("span", { class: "quiz-dist-mark" }, row.correct ? `✓ ${t("quiz.correct_mark")}` : ""),
      ),
    ),
    ...(rows.length ? [] : [el("li", { class: "empty" }, t("results.empty"))]),
  );
  drawLeaderboard(topOf(reveal));
}

/**
 * The top 10, its rows kept by attendee so that each slides from where it was to its
 * new place (FLIP: the old positions, the new layout, then an animation of the
 * difference); nothing moves under prefers-reduced-motion.
 */
function drawLeaderboard(top) {
  const list = $("screen-quiz-leaderboard");
  const before = new Map();
  for (const row of list.children) before.set(row.dataset.attendeeId, row.getBoundingClientRect().top);
  const rows = top.map((entry) => {
    let row = [...list.children].find((node) => node.dataset.attendeeId === entry.attendee_id);
    if (!row) {
      row = el("li", { class: "quiz-board-row", dataset: { attendeeId: entry.attendee_id } });
    }
    row.dataset.rank = String(entry.rank);
    row.replaceChildren(
      el("span", { class: "quiz-board-rank" }, formatNumber(entry.rank)),
      el("span", { class: "quiz-board-name", dir: "auto" }, entry.name),
      el("span", { class: "quiz-board-score" }, t("quiz.score_points", { count: entry.score })),
    );
    return row;
  });
  list.replaceChildren(...(rows.length ? rows : [el("li", { class: "empty" }, t("quiz.no_players"))]));
  if (!moving()) return;
  for (const row of rows) {
    const was = before.get(row.dataset.attendeeId);
    if (was === undefined) {
      row.animate([{ opacity: 0, transform: "translateX(-1.5em)" }, { opacity: 1, transform: "none" }], { duration: BOARD_MOVE_MS, easing: "ease-out" });
      continue;
    }
    const delta = was - row.getBoundingClientRect().top;
    if (Math.abs(delta) > 1) {
      row.animate([{ transform: `translateY(${delta}px)` }, { transform: "none" }], { duration: BOARD_MOVE_MS, easing: "cubic-bezier(.2,.8,.2,1)" });
    }
  }
}

// -- the podium ---------------------------------------------------------------------------------
function clearPodium() {
  for (const timer of view.podiumTimers) clearTimeout(timer);
  view.podiumTimers = [];
  view.podiumFor = null;
}

/** The top three, drawn second-first-third and revealed third, second, first
 *  (`data-revealed` lists the places in the order they appeared). */
function renderPodium(instant) {
  const quiz = view.quiz;
  const section = $("screen-quiz-podium");
  const show = quiz.phase === "ended";
  section.hidden = !show;
  if (!show) {
    clearPodium();
    return;
  }
  const places = $("screen-quiz-podium-places");
  if (view.podiumFor === quiz.id && places.childElementCount) {
    // Already drawn (or being revealed): only the language may have changed.
    for (const place of places.children) setText(place.querySelector(".podium-rank"), t("quiz.place", { rank: Number(place.dataset.rank) }));
    return;
  }
  clearPodium();
  view.podiumFor = quiz.id;
  const top = topOf(view.ended).slice(0, 3);
  const empty = $("screen-quiz-podium-empty");
  empty.hidden = top.length > 0;
  setText(empty, top.length ? "" : t("quiz.no_players"));
  const nodes = top.map((entry, i) =>
    el(
      "li",
      { class: "podium-place", dataset: { place: String(i + 1), rank: String(entry.rank), attendeeId: entry.attendee_id }, hidden: true },
      el("span", { class: "podium-rank" }, t("quiz.place", { rank: entry.rank })),
      el("span", { class: "podium-name", dir: "auto" }, entry.name),
      el("span", { class: "podium-score" }, t("quiz.score_points", { count: entry.score })),
      el("span", { class: "podium-block", "aria-hidden": "true" }, formatNumber(i + 1)),
    ),
  );
  // Second, first, third from left to right, as podiums stand.
  const visual = [nodes[1], nodes[0], nodes[2]].filter(Boolean);
  places.replaceChildren(...visual);
  places.dataset.revealed = "";
  const reveal = (node) => {
    node.hidden = false;
    if (moving()) node.animate([{ opacity: 0, transform: "translateY(2em)" }, { opacity: 1, transform: "none" }], { duration: 600, easing: "ease-out" });
    places.dataset.revealed = [places.dataset.revealed, node.dataset.place].filter(Boolean).join(",");
  };
  const order = [...nodes].reverse(); // third, second, first
  if (instant) {
    for (const node of order) reveal(node);
    return;
  }
  order.forEach((node, i) => {
    view.podiumTimers.push(setTimeout(() => reveal(node), PODIUM_FIRST_MS + i * PODIUM_STEP_MS));
  });
}

/** The page switched language: redraw the quiz's texts. */
function localeChanged() {
  if (!view.quiz) return;
  render(true, false);
}

registerKind({
  ...QUIZ,
  screen: {
    mount,
    applyState,
    clear: () => view.quiz && setQuiz(null),
    localeChanged,
    ended: () => {
      countdown.stop();
      clearPodium();
      $("screen-quiz").hidden = true;
    },
    messages: {
      "quiz:started": onStarted,
      "quiz:question": onQuestion,
      "quiz:answers": onAnswers,
      "quiz:reveal": onReveal,
      "quiz:ended": onEnded,
    },
  },
});
