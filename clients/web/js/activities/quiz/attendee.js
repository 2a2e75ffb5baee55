// Quizzes on the attendee page: the lobby, each question with big answer tiles (a
// colour AND a shape each, with the option's label), true/false, several answers picked
// then sent, a typed text or number; a countdown to the server's deadline counted with
// the server's clock; the player's own result and rank after each question
// (`quiz:result`), the right answer (`quiz:reveal`), and the final rank (`quiz:ended`).
//
// One answer per question, never changed: it is kept (also in localStorage) until the
// server acknowledges it and re-sent with the same `answer_id` after a reconnect, a
// timeout or `unavailable`, so it never counts twice. Nothing on this page says which
// answer is right before the question closes: the page does not know it.

import { announce, focusIfLost } from "../../core/a11y.js";
import { $, el, setText, storage } from "../../core/dom.js";
import { errorText } from "../../core/errors.js";
import { formatNumber, t, tParts } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { Resender } from "../../core/resend.js";
import { newVoteId } from "../../core/sync.js";
import {
  CHOICE_KINDS,
  Countdown,
  QUIZ,
  ServerClock,
  choiceParts,
  correctIds,
  correctParts,
  progressOf,
  secondsLeft,
  stateStep,
  tileContent,
  tilesOf,
  topOf,
} from "./model.js";

const pendingKey = (code) => `plenary.quiz.pending.${code}`;

const HINT_KEYS = {
  single: "quiz.hint_single",
  multiple: "quiz.hint_multiple",
  truefalse: "quiz.hint_truefalse",
  text: "quiz.hint_text",
  number: "quiz.hint_number",
};

let ctx = null; // the page shell's context (js/attendee.js)
const clock = new ServerClock();
let countdown = null;
let answerer = null; // sends `state.pending` (core/resend.js)
const state = {
  quiz: null, // the quiz on stage as anyone sees it (docs/protocol.md, "The quiz object")
  progress: -3, // how far it has got (model.progressOf): older copies are ignored
  me: null, // {score, streak, rank, answered, choice?, answer_id?, elapsed_ms?}
  reveal: null, // the last quiz:reveal of the current question
  result: null, // this player's quiz:result of the current question
  final: null, // this player's final quiz:result
  ended: null, // quiz:ended (the podium)
  pending: null, // {quiz_id, question_id, choice, answer_id}: sent or to send, not acked
  note: null, // {question_id, kind: "error" | "info", parts: () => [...]}
  selection: [], // `multiple`: the option ids picked, not sent yet
  builtFor: null, // the question the answer area was built for
  timeUp: false, // the countdown reached 0
};

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  countdown = new Countdown(clock, drawCountdown);
  // A question is open for seconds: quick retries, at most 4 s apart.
  answerer = new Resender(
    ctx,
    "quiz:answer",
    {
      pending: () => state.pending,
      acked: onAnswerAcked,
      refused: onAnswerRefused,
      retrying: (answer, error, seconds) => {
        state.note = { question_id: answer.question_id, kind: "info", parts: () => [errorText(error), " ", t("quiz.retrying", { seconds })] };
        render();
      },
      notConnected: renderStatus,
      offline: render,
    },
    { first: 500, most: 4000, jitterMs: 200 },
  );
  ctx.stage.append(
    el(
      "article",
      { id: "quiz", class: "card quiz-card", hidden: true },
      el(
        "div",
        { class: "quiz-head" },
        el("p", { id: "quiz-progress", class: "eyebrow" }),
        el(
          "div",
          { id: "quiz-timer", class: "quiz-timer", hidden: true },
          el("span", { id: "quiz-countdown", class: "quiz-countdown", role: "timer" }),
          el("span", { class: "quiz-timer-track", "aria-hidden": "true" }, el("span", { id: "quiz-timer-fill", class: "quiz-timer-fill" })),
        ),
      ),
      // tabindex -1: the focus comes here when a question replaces what had it.
      el("h1", { id: "quiz-question", class: "question", dir: "auto", tabindex: "-1" }),
      el("p", { id: "quiz-hint", class: "muted small" }),
      el("div", { id: "quiz-answer-area", class: "quiz-answers" }),
      el("p", { id: "quiz-status", class: "answer-status", role: "status", "aria-live": "polite" }),
      el(
        "section",
        { id: "quiz-outcome", class: "quiz-outcome", hidden: true, "aria-labelledby": "quiz-verdict" },
        el("h2", { id: "quiz-verdict", class: "quiz-verdict" }),
        el("p", { id: "quiz-points", class: "quiz-points" }),
        el("p", { id: "quiz-standing", class: "quiz-standing" }),
        el("p", { id: "quiz-streak", class: "muted small" }),
        el("p", { id: "quiz-correct", class: "quiz-correct-answer" }),
      ),
      el(
        "section",
        { id: "quiz-final", class: "quiz-final", hidden: true, "aria-labelledby": "quiz-final-title" },
        el("h2", { id: "quiz-final-title", dataset: { i18n: "quiz.final_title" } }, t("quiz.final_title")),
        el("p", { id: "quiz-final-rank", class: "quiz-final-rank" }),
        el("p", { id: "quiz-final-score", class: "quiz-standing" }),
        el("h3", { id: "quiz-podium-title", dataset: { i18n: "quiz.podium" } }, t("quiz.podium")),
        el("ol", { id: "quiz-podium-list", class: "quiz-podium-list", "aria-labelledby": "quiz-podium-title" }),
      ),
    ),
  );
}

/** A session starts (join or resume): the answer this device had not got acked yet. */
function start() {
  state.pending = storage.get(pendingKey(ctx.code));
}

/** Forget what this device kept for event `code` (another person joins, or leaves). */
function forget(code) {
  storage.set(pendingKey(code), null);
  if (code !== ctx.code) return;
  answerer.cancel();
  countdown.stop();
  Object.assign(state, {
    quiz: null,
    progress: -3,
    me: null,
    reveal: null,
    result: null,
    final: null,
    ended: null,
    pending: null,
    note: null,
    selection: [],
    builtFor: null,
    timeUp: false,
  });
}

/** The event ended: nothing more to send. */
function stop() {
  answerer.cancel();
  countdown.stop();
  state.pending = null;
  storage.set(pendingKey(ctx.code), null);
}

/** `welcome` (and `state:get`): the whole state; after a reconnect too. */
function applyState(msg) {
  const step = stateStep(msg.activity, state.quiz, state.progress);
  if (!step) {
    if (state.quiz) showQuiz(null);
    return;
  }
  clock.sample(msg.server_time);
  if (step.stale) {
    flushPending();
    return;
  }
  const { quiz: view, progress, sameStep } = step;
  const me = { ...(view.me || {}) };
  // An ack that came after this copy was built: the answer stands.
  if (sameStep && state.me && state.me.answered && !me.answered) {
    Object.assign(me, pick(state.me, ["answered", "choice", "answer_id", "elapsed_ms"]));
  }
  state.me = me;
  state.reveal = view.reveal || (sameStep ? state.reveal : null);
  if (view.phase === "reveal") state.result = me.result || (sameStep ? state.result : null);
  else state.result = null;
  if (view.phase === "ended") {
    state.ended = view.ended || state.ended;
    state.final = me.result || (sameStep ? state.final : null);
  }
  const { reveal: _r, ended: _e, me: _m, ...quiz } = view;
  setQuiz(quiz, progress);
  flushPending();
}

/** Another kind's activity went on stage. */
function clear() {
  if (state.quiz) showQuiz(null);
}

/** The server could not build the state (`error` message). */
function serverError(error) {
  if (!state.quiz) return;
  state.note = { question_id: currentQuestionId(), kind: "error", parts: () => [errorText(error)] };
  renderStatus();
}

/** The page switched language: redraw what this kind wrote. */
function localeChanged() {
  state.builtFor = null;
  render();
}

// -- server messages ----------------------------------------------------------------------
function onStarted(msg) {
  if (!msg || !msg.quiz) return;
  clock.sample(msg.ts);
  const quiz = msg.quiz;
  const progress = progressOf(quiz.phase, quiz.index);
  if (state.quiz && state.quiz.id === quiz.id && progress < state.progress) return;
  Object.assign(state, { me: state.quiz && state.quiz.id === quiz.id ? state.me : null, reveal: null, result: null, final: null, ended: null });
  setQuiz(quiz, progress);
}

function onQuestion(msg) {
  if (!msg || !msg.question) return;
  clock.sample(msg.ts);
  const progress = progressOf("question", msg.index);
  const known = state.quiz && state.quiz.id === msg.quiz_id ? state.quiz : null;
  if (known && progress <= state.progress) return; // a copy we have
  if (!known || msg.index > (known.index ?? -1) + 1) ctx.refresh(); // a message was missed
  const quiz = {
    ...(known || { id: msg.quiz_id, type: QUIZ.type, title: "" }),
    phase: "question",
    status: `question:${msg.question.id}`,
    index: msg.index,
    count: msg.count,
    question: msg.question,
    opened_at: msg.opened_at,
    deadline: msg.deadline,
  };
  state.me = { ...(state.me || { score: 0, streak: 0, rank: null }), answered: false };
  delete state.me.choice;
  delete state.me.answer_id;
  delete state.me.elapsed_ms;
  Object.assign(state, { reveal: null, result: null, selection: [], note: null });
  setQuiz(quiz, progress);
}

function onReveal(msg) {
  if (!msg || !state.quiz || msg.quiz_id !== state.quiz.id) return;
  clock.sample(msg.ts);
  const progress = progressOf("reveal", msg.index);
  if (progress < state.progress) return;
  const question = state.quiz.question;
  if (!question || question.id !== msg.question_id) {
    ctx.refresh(); // the question itself was missed
    return;
  }
  state.reveal = msg;
  const quiz = { ...state.quiz, phase: "reveal", status: `reveal:${msg.question_id}` };
  setQuiz(quiz, progress);
}

function onResult(msg) {
  if (!msg || !state.quiz || msg.quiz_id !== state.quiz.id) return;
  state.me = { ...(state.me || {}), score: msg.score, streak: msg.streak, rank: msg.rank };
  if (msg.final) {
    state.final = msg;
  } else {
    const question = state.quiz.question;
    if (!question || question.id !== msg.question_id) return;
    state.result = msg;
    const verdict = verdictKey();
    announce(`${t(verdict)} ${t("quiz.points", { count: msg.points })} ${t("quiz.standing", standingParams(msg))}`);
  }
  render();
}

function onEnded(msg) {
  if (!msg || !state.quiz || msg.quiz_id !== state.quiz.id) return;
  clock.sample(msg.ts);
  state.ended = msg;
  const quiz = { ...state.quiz, phase: "ended", status: "closed" };
  setQuiz(quiz, progressOf("ended"));
}

// -- the quiz on stage ----------------------------------------------------------------------
function pick(source, keys) {
  const out = {};
  for (const key of keys) if (key in source) out[key] = source[key];
  return out;
}

function currentQuestionId() {
  const quiz = state.quiz;
  return quiz && quiz.question ? quiz.question.id : null;
}

function isOpen() {
  const quiz = state.quiz;
  return Boolean(quiz && quiz.phase === "question" && quiz.question && !state.timeUp);
}

function showQuiz(quiz) {
  if (quiz) return;
  state.quiz = null;
  state.progress = -3;
  state.builtFor = null;
  countdown.stop();
  $("quiz").hidden = true;
  ctx.leaveStage(QUIZ.type);
}

/** The quiz on stage is now `quiz` (at `progress`): show it, announce what changed. */
function setQuiz(quiz, progress) {
  const before = state.quiz && state.quiz.id === quiz.id ? state.quiz : null;
  const beforeStep = before ? state.progress : null;
  state.quiz = quiz;
  state.progress = progress;
  if (before && beforeStep !== progress) state.note = null;
  if (quiz.phase === "question") {
    state.timeUp = clock.left(quiz.deadline) <= 0;
  } else {
    state.timeUp = false;
  }
  ctx.enterStage(QUIZ.type);
  render();
  focusIfLost($("quiz-question"));
  if (beforeStep === progress) return;
  // Say what appeared by itself to screen readers.
  if (quiz.phase === "lobby") announce(t("quiz.announce_lobby", { title: quiz.title || "" }));
  else if (quiz.phase === "question" && quiz.question) {
    announce(t("quiz.announce_question", { n: quiz.index + 1, count: quiz.count, question: quiz.question.question }));
  } else if (quiz.phase === "ended") announce(t("quiz.announce_ended"));
}

function render() {
  const quiz = state.quiz;
  const article = $("quiz");
  article.hidden = !quiz;
  if (!quiz) return;
  article.dataset.quizId = quiz.id;
  article.dataset.phase = quiz.phase;
  const question = quiz.question;
  const inQuestion = (quiz.phase === "question" || quiz.phase === "reveal") && question;
  article.dataset.kind = inQuestion ? question.kind : "";
  setText(
    "quiz-progress",
    inQuestion
      ? `${t("quiz.eyebrow")} · ${t("quiz.progress", { n: quiz.index + 1, count: quiz.count })}`
      : quiz.phase === "ended"
        ? t("quiz.ended_eyebrow")
        : t("quiz.eyebrow"),
  );
  setText("quiz-question", inQuestion ? question.question : quiz.title || t("quiz.eyebrow"));
  let hint = "";
  if (quiz.phase === "lobby") hint = t("quiz.lobby_hint");
  else if (quiz.phase === "question" && question && !answeredOrSending()) hint = t(HINT_KEYS[question.kind] || "quiz.hint_single");
  setText("quiz-hint", hint);
  renderTimer();
  renderAnswerArea();
  renderStatus();
  renderOutcome();
  renderFinal();
}

// -- the countdown ----------------------------------------------------------------------------
function renderTimer() {
  const quiz = state.quiz;
  const running = quiz && quiz.phase === "question" && typeof quiz.deadline === "number";
  $("quiz-timer").hidden = !running;
  if (!running) {
    countdown.stop();
    return;
  }
  countdown.start(quiz.deadline);
}

function drawCountdown(left) {
  const quiz = state.quiz;
  if (!quiz || quiz.phase !== "question") return;
  const seconds = secondsLeft(left);
  const node = $("quiz-countdown");
  if (node.dataset.seconds !== String(seconds) || node.dataset.lang !== document.documentElement.lang) {
    node.dataset.seconds = String(seconds);
    node.dataset.lang = document.documentElement.lang;
    node.replaceChildren(...tParts("quiz.seconds_left", { seconds: el("strong", { class: "quiz-countdown-value" }, formatNumber(seconds)) }));
  }
  const limit = Math.max(1, (quiz.deadline || 0) - (quiz.opened_at || 0));
  $("quiz-timer-fill").style.width = `${Math.max(0, Math.min(100, (left * 100) / limit)).toFixed(1)}%`;
  $("quiz-timer").classList.toggle("quiz-timer-low", seconds <= 5);
  if (left <= 0 && !state.timeUp) {
    state.timeUp = true;
    render(); // the answer area closes (an answer on its way still counts: the grace)
  }
}

// -- the answer area ------------------------------------------------------------------------
function answeredOrSending() {
  const id = currentQuestionId();
  return Boolean((state.me && state.me.answered) || (state.pending && state.pending.question_id === id));
}

/** The choice shown as this player's: acked, or on its way. */
function shownChoice() {
  const id = currentQuestionId();
  if (state.pending && state.pending.question_id === id) return state.pending.choice;
  if (state.me && state.me.answered) return state.me.choice;
  return null;
}

function renderAnswerArea() {
  const quiz = state.quiz;
  const area = $("quiz-answer-area");
  const question = quiz && quiz.question;
  if (!quiz || !question || (quiz.phase !== "question" && quiz.phase !== "reveal")) {
    state.builtFor = null;
    area.replaceChildren();
    return;
  }
  const buildKey = `${quiz.id}:${question.id}`;
  if (state.builtFor !== buildKey) {
    buildAnswerArea(question);
    state.builtFor = buildKey;
  }
  updateAnswerArea(question);
}

function buildAnswerArea(question) {
  const area = $("quiz-answer-area");
  const typed = $("quiz-typed-answer") ? $("quiz-typed-answer").value : "";
  const tiles = tilesOf(question);
  const parts = [];
  if (tiles.length) {
    const multiple = question.kind === "multiple";
    parts.push(
      el(
        "div",
        {
          class: `quiz-tiles tiles-${tiles.length}`,
          role: "group",
          "aria-labelledby": "quiz-question",
          "aria-describedby": "quiz-hint",
        },
        tiles.map((tile) =>
          el(
            "button",
            {
              type: "button",
              class: `quiz-tile tile-${tile.colour}`,
              dataset: { option: tile.id, shape: tile.shape },
              onclick: () => (multiple ? toggle(tile.id) : submit(choiceOf(question, tile.id))),
            },
            tileContent(tile),
            el("span", { class: "quiz-tile-mark" }),
          ),
        ),
      ),
    );
    if (multiple) {
      parts.push(
        el(
          "button",
          { id: "quiz-submit", type: "button", class: "button primary big", onclick: submitSelection },
          t("quiz.send"),
        ),
      );
    }
  } else {
    const number = question.kind === "number";
    const field = el("input", {
      id: "quiz-typed-answer",
      type: "text",
      maxlength: number ? 40 : 120,
      autocomplete: "off",
      inputmode: number ? "decimal" : null,
      dir: number ? null : "auto",
      placeholder: t(number ? "quiz.placeholder_number" : "quiz.placeholder_text"),
      "aria-labelledby": "quiz-question",
      "aria-describedby": "quiz-hint",
    });
    field.value = typed;
    const form = el(
      "form",
      { id: "quiz-typed-form", class: "text-form", novalidate: true },
      field,
      el("button", { id: "quiz-submit", type: "submit", class: "button primary big" }, t("quiz.send")),
    );
    form.addEventListener("submit", (evt) => {
      evt.preventDefault();
      const text = field.value.trim();
      if (!text) return showNote("error", () => [t("quiz.type_first")]);
      if (number) {
        const value = Number(text.replace(",", "."));
        if (!Number.isFinite(value)) return showNote("error", () => [t("quiz.not_a_number")]);
        return submit(text.includes(",") ? text : value);
      }
      return submit(text);
    });
    parts.push(form);
  }
  area.replaceChildren(...parts);
}

/** The wire form of a tile's id: option ids as they are, true/false as booleans. */
function choiceOf(question, id) {
  if (question.kind === "truefalse") return id === "true";
  return id;
}

function toggle(id) {
  if (!isOpen() || answeredOrSending()) return;
  const picked = new Set(state.selection);
  if (picked.has(id)) picked.delete(id);
  else picked.add(id);
  const order = (state.quiz.question.options || []).map((o) => o.id);
  state.selection = order.filter((o) => picked.has(o));
  if (state.note && state.note.kind === "error") state.note = null;
  render();
}

function submitSelection() {
  if (!state.selection.length) {
    showNote("error", () => [t("quiz.choose_one")]);
    return;
  }
  submit([...state.selection]);
}

function updateAnswerArea(question) {
  const quiz = state.quiz;
  const area = $("quiz-answer-area");
  const open = isOpen() && !answeredOrSending();
  const reveal = quiz.phase === "reveal" && state.reveal ? state.reveal : null;
  const shown = shownChoice();
  const sending = Boolean(state.pending && state.pending.question_id === question.id);
  area.classList.toggle("disabled", !open);
  for (const node of area.querySelectorAll("button, input")) node.disabled = !open;
  const chosen = new Set(
    (shown === null || shown === undefined ? (question.kind === "multiple" && open ? state.selection : []) : Array.isArray(shown) ? shown : [shown]).map(String),
  );
  const right = reveal ? correctIds(question, reveal.correct) : new Set();
  for (const tile of area.querySelectorAll("[data-option]")) {
    const id = tile.dataset.option;
    const selected = chosen.has(id);
    const correct = right.has(id);
    tile.classList.toggle("selected", selected);
    tile.classList.toggle("sending", selected && sending);
    tile.setAttribute("aria-pressed", String(selected));
    // Only once the question closed does the page know, and say, what was right.
    if (reveal) {
      tile.dataset.correct = String(correct);
      tile.classList.toggle("faded", !correct);
    } else {
      delete tile.dataset.correct;
      tile.classList.remove("faded");
    }
    const marks = [];
    if (reveal && correct) marks.push(t("quiz.correct_mark"));
    if (selected && (reveal || !open)) marks.push(t("quiz.your_answer"));
    setText(tile.querySelector(".quiz-tile-mark"), marks.join(" · "));
  }
  const submitButton = $("quiz-submit");
  if (submitButton) submitButton.hidden = !open && quiz.phase === "reveal";
  const field = $("quiz-typed-answer");
  if (field && shown !== null && shown !== undefined && !field.matches(":focus")) {
    field.value = typeof shown === "number" ? String(shown) : String(shown);
  }
}

// -- the status line, the outcome, the final results -------------------------------------------------
function showNote(kind, parts) {
  state.note = { question_id: currentQuestionId(), kind, parts };
  renderStatus();
}

function renderStatus() {
  const node = $("quiz-status");
  const quiz = state.quiz;
  if (!quiz) return;
  const question = quiz.question;
  const id = currentQuestionId();
  const note = state.note && state.note.question_id === id ? state.note : null;
  let parts = [];
  let kind = "";
  if (quiz.phase === "question" && question) {
    const pending = state.pending && state.pending.question_id === id ? state.pending : null;
    if (pending) {
      const connected = ctx.socket && ctx.socket.connected;
      const answer = el("span", { class: "answer-text" }, choiceParts(question, pending.choice));
      parts = note && note.kind === "info" ? note.parts() : tParts(connected ? "quiz.status_sending" : "quiz.status_offline", { answer });
      kind = "sending";
    } else if (state.me && state.me.answered) {
      const answer = el("span", { class: "answer-text" }, choiceParts(question, state.me.choice));
      const seconds = formatNumber((state.me.elapsed_ms || 0) / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
      parts = tParts("quiz.status_saved", { answer, seconds });
      kind = "saved";
    } else if (note && note.kind === "error") {
      parts = note.parts();
      kind = "error";
    } else if (state.timeUp) {
      parts = [t("quiz.time_up")];
      kind = "error";
    }
  } else if (note && note.kind === "error") {
    parts = note.parts();
    kind = "error";
  }
  node.dataset.state = kind;
  // Only a change is written: the element is a live region, read out on every change.
  const next = el("span", {}, parts);
  if (next.textContent !== node.textContent || node.dataset.lang !== document.documentElement.lang) {
    node.replaceChildren(...next.childNodes);
    node.dataset.lang = document.documentElement.lang;
  }
}

function verdictKey() {
  const result = state.result;
  const answered = state.me && state.me.answered;
  if (result && result.correct) return "quiz.verdict_correct";
  if (result && result.points > 0) return "quiz.verdict_partial";
  if (answered) return "quiz.verdict_wrong";
  return "quiz.verdict_missed";
}

function standingParams(result) {
  return { score: result.score, rank: result.rank, players: result.players };
}

function renderOutcome() {
  const quiz = state.quiz;
  const section = $("quiz-outcome");
  const visible = Boolean(quiz && quiz.phase === "reveal" && state.reveal && quiz.question);
  section.hidden = !visible;
  if (!visible) {
    delete section.dataset.correct;
    return;
  }
  const result = state.result;
  const answered = Boolean(state.me && state.me.answered);
  const played = Boolean(result) || answered;
  section.dataset.verdict = played ? verdictKey().split("_")[1] : "none";
  section.dataset.points = result ? String(result.points) : "";
  section.dataset.rank = result ? String(result.rank) : "";
  setText("quiz-verdict", played ? t(verdictKey()) : t("quiz.not_played"));
  setText("quiz-points", result ? t("quiz.points", { count: result.points }) : played ? t("quiz.result_coming") : "");
  $("quiz-points").hidden = !played;
  setText("quiz-standing", result ? t("quiz.standing", standingParams(result)) : "");
  $("quiz-standing").hidden = !result;
  const streak = [];
  if (result && result.bonus > 0) streak.push(t("quiz.bonus", { bonus: result.bonus }));
  if (result && result.streak > 1) streak.push(t("quiz.streak", { count: result.streak }));
  setText("quiz-streak", streak.join(" "));
  $("quiz-streak").hidden = !streak.length;
  $("quiz-correct").replaceChildren(...tParts("quiz.correct_answer", { answer: el("strong", {}, correctParts(quiz.question, state.reveal.correct)) }));
}

function renderFinal() {
  const quiz = state.quiz;
  const section = $("quiz-final");
  const visible = Boolean(quiz && quiz.phase === "ended");
  section.hidden = !visible;
  if (!visible) return;
  const final = state.final;
  if (final) {
    $("quiz-final-rank").replaceChildren(
      ...tParts("quiz.final_rank", { rank: el("strong", {}, formatNumber(final.rank)), players: final.players }),
    );
    setText("quiz-final-score", t("quiz.final_score", { score: final.score, correct: final.correct_count, questions: final.questions }));
    section.dataset.rank = String(final.rank);
  } else {
    setText("quiz-final-rank", t("quiz.final_none"));
    setText("quiz-final-score", "");
    delete section.dataset.rank;
  }
  $("quiz-final-score").hidden = !final;
  const top = topOf(state.ended).filter((entry) => entry.rank <= 3);
  $("quiz-podium-title").hidden = !top.length;
  $("quiz-podium-list").replaceChildren(
    ...top.map((entry) =>
      el(
        "li",
        { class: `quiz-podium-entry place-${entry.rank}`, dataset: { rank: String(entry.rank) } },
        el("span", { class: "quiz-place" }, t("quiz.place", { rank: entry.rank })),
        " ",
        el("span", { class: "quiz-name", dir: "auto" }, entry.name),
        " ",
        el("span", { class: "quiz-score muted" }, formatNumber(entry.score)),
      ),
    ),
  );
}

// -- sending the answer ------------------------------------------------------------------------
function submit(choice) {
  const quiz = state.quiz;
  if (!isOpen() || answeredOrSending()) return;
  answerer.restart();
  state.pending = { quiz_id: quiz.id, question_id: quiz.question.id, choice, answer_id: newVoteId() };
  state.note = null;
  savePending();
  render();
  answerer.send();
}

function savePending() {
  storage.set(pendingKey(ctx.code), state.pending);
}

/** After a (re)connect: send what waits, with its answer_id; drop it once the server
 *  has this player's answer to that question, or the question is over (a retry then
 *  would only be told `too_late`). */
function flushPending() {
  const pending = state.pending;
  if (!pending) return;
  const quiz = state.quiz;
  const open =
    quiz && quiz.id === pending.quiz_id && quiz.phase === "question" && currentQuestionId() === pending.question_id;
  if (open && !(state.me && state.me.answered)) {
    answerer.flush();
    return;
  }
  state.pending = null;
  savePending();
  render();
}

function onAnswerAcked(answer, ack) {
  state.pending = null;
  savePending();
  if (currentQuestionId() === answer.question_id && state.quiz && state.quiz.id === answer.quiz_id) {
    state.me = { ...(state.me || {}), answered: true, choice: ack.choice, answer_id: answer.answer_id, elapsed_ms: ack.elapsed_ms };
    state.note = null;
  }
  render();
}

/** Refused for good (too late, already answered, ...): nothing (more) was stored. */
function onAnswerRefused(answer, error) {
  state.pending = null;
  savePending();
  state.note = { question_id: answer.question_id, kind: "error", parts: () => [errorText(error)] };
  if (error.code === "already_answered") ctx.refresh(); // the answer the server has
  render();
}

registerKind({
  ...QUIZ,
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
      "quiz:started": onStarted,
      "quiz:question": onQuestion,
      "quiz:reveal": onReveal,
      "quiz:result": onResult,
      "quiz:ended": onEnded,
    },
  },
});
