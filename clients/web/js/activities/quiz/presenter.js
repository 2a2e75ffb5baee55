// Quizzes in the presenter console: the "Quizzes" list, the "New quiz" form (questions
// of every kind, with their right answers), importing a JSON or CSV file, and on the
// stage the quiz's own controls (start, next question, close it, end) with the
// question, its right answer (presenters see it), a countdown to the server's deadline,
// the live answer count, and after each close the distribution and the top 10; after
// the end, the podium. The console is in English.

import { ActivityList } from "../../core/activity-list.js";
import { barList } from "../../core/charts.js";
import { $, el, setText } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";
import { registerKind } from "../../core/kinds.js";
import { Countdown, QUIZ, ServerClock, distributionRows, progressOf, secondsLeft, topOf } from "./model.js";

const KIND_NAMES = {
  single: "Single choice",
  multiple: "Multiple choice",
  truefalse: "True or false",
  text: "Typed answer",
  number: "Number",
};
const PHASE_NAMES = { draft: "Draft", lobby: "Lobby", question: "Question open", reveal: "Answer shown", ended: "Ended" };
const LETTERS = ["a", "b", "c", "d", "e", "f"];
/** Over this, a file goes over REST (a Socket.IO message holds at most 16 KiB). */
const SOCKET_IMPORT_BYTES = 12_000;

let ctx = null; // the page shell's context (js/presenter.js)
const quizzes = new ActivityList(); // id -> item (the definition, with answers, and its progress), oldest first
const clock = new ServerClock();
let countdown = null;
let editorSeq = 0; // ids for the fields of the question editors
let stageView = null; // the quiz's part of the stage (in ctx.chart while a quiz is selected)

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  countdown = new Countdown(clock, drawCountdown);
  const list = el("ol", { id: "quizzes", class: "poll-list quiz-list" });
  list.addEventListener("click", onListClick);
  ctx.main.append(
    el(
      "section",
      { id: "quizzes-card", class: "card" },
      el("h2", {}, "Quizzes"),
      el("p", { id: "quizzes-empty", class: "muted" }, "No quizzes yet."),
      list,
    ),
  );
  // The quiz's own part of the stage: the shell hides its Open / Close / Reveal and its
  // chart while a quiz is selected (`ownStage`).
  const controls = el(
    "div",
    { id: "quiz-controls", class: "quiz-controls", role: "group", "aria-label": "Run the quiz" },
    controlButton("start", "Start (lobby)"),
    controlButton("next", "Next question"),
    controlButton("close", "Close question"),
    controlButton("end", "End quiz"),
  );
  controls.addEventListener("click", (evt) => {
    const button = evt.target.closest("button[data-quiz-action]");
    const item = selectedQuiz();
    if (button && item) act(button.dataset.quizAction, item.id);
  });
  // Drawn into the stage's chart while a quiz is selected (kept, not rebuilt, so that a
  // control keeps the focus while the answer count changes).
  stageView =
    el(
      "div",
      { id: "quiz-stage", class: "quiz-stage" },
      controls,
      el("p", { id: "quiz-stage-phase", class: "quiz-stage-phase" }),
      el(
        "div",
        { id: "quiz-stage-current", class: "quiz-stage-current", hidden: true },
        el("p", { id: "quiz-stage-q", class: "quiz-stage-q", dir: "auto" }),
        el("p", { id: "quiz-stage-answer", class: "quiz-stage-answer" }),
        el(
          "p",
          { class: "quiz-stage-live" },
          el("span", { id: "quiz-stage-countdown", class: "quiz-stage-countdown", role: "timer" }),
          " ",
          el("span", { id: "quiz-answered", class: "quiz-answered" }),
        ),
      ),
      el(
        "section",
        { id: "quiz-stage-reveal", class: "quiz-stage-reveal", hidden: true, "aria-labelledby": "quiz-stage-dist-title" },
        el("h3", { id: "quiz-stage-dist-title" }, "Answers"),
        el("div", { id: "quiz-stage-distribution", class: "results chart" }),
      ),
      el(
        "section",
        { id: "quiz-stage-board", class: "quiz-stage-board", hidden: true, "aria-labelledby": "quiz-stage-board-title" },
        el("h3", { id: "quiz-stage-board-title" }, "Leaderboard"),
        el("ol", { id: "quiz-stage-top", class: "quiz-board" }),
      ),
    );
  ctx.side.append(newQuizCard(), importCard());
  addQuestion();
}

function controlButton(action, label) {
  return el("button", { type: "button", class: "button", dataset: { quizAction: action } }, label);
}

/** `welcome` (and `state:get`): every quiz of the event, and the one on stage. */
function applyState(msg) {
  clock.sample(msg.server_time);
  if (Array.isArray(msg.quizzes)) quizzes.replace(msg.quizzes, mergeQuiz);
  const activity = msg.activity;
  const current = activity && activity.type === QUIZ.type ? activity.quiz : null;
  if (current) {
    const item = upsert(current);
    if (item) {
      if (typeof current.answered === "number") item.answered = current.answered;
      if (current.reveal) item.reveal = current.reveal;
      if (current.ended) item.ended = current.ended;
      ctx.setCurrent(QUIZ.type, current.id);
    }
  }
}

function items() {
  return quizzes.items();
}

function item(id) {
  return quizzes.get(id) || null;
}

function describe(quiz) {
  const n = (quiz.questions || []).length || quiz.count || 0;
  return `Quiz · ${n} question${n === 1 ? "" : "s"}`;
}

// -- the quizzes, merged from every source ---------------------------------------------------------
/** The shared life cycle of the stage: draft, open (lobby to the last reveal), closed. */
function lifecycle(phase) {
  if (phase === "draft") return "draft";
  if (phase === "ended") return "closed";
  return "open";
}

/**
 * Add or update a quiz from a definition (`quiz:list`, acks: with its questions and
 * answers) or a view (broadcasts, the welcome's activity: its progress). A view older
 * than what the console shows (by progress) does not take it back.
 */
function upsert(incoming) {
  return quizzes.put(incoming, mergeQuiz);
}

function mergeQuiz(known, incoming) {
  const progress = progressOf(incoming.phase, incoming.index);
  const item = known ? { ...known } : { id: incoming.id, revealed: false, results: null, progress: -3, answered: 0, online: null };
  if (Array.isArray(incoming.questions)) item.questions = incoming.questions;
  for (const key of ["title", "created_at", "streak_bonus", "teams", "count"]) {
    if (incoming[key] !== undefined) item[key] = incoming[key];
  }
  if (!known || progress >= item.progress) {
    if (progress !== item.progress) {
      item.answered = 0;
      if (incoming.phase !== "reveal") item.reveal = null;
      if (incoming.phase !== "ended") item.ended = null;
    }
    item.progress = progress;
    item.phase = incoming.phase;
    item.quizStatus = incoming.status;
    item.status = lifecycle(incoming.phase);
    if (incoming.scored !== undefined) item.scored = incoming.scored;
    if (incoming.index !== undefined) item.index = incoming.index;
    if (incoming.opened_at !== undefined) item.opened_at = incoming.opened_at;
    if (incoming.deadline !== undefined) item.deadline = incoming.deadline;
  }
  if (item.created_at === undefined) item.created_at = Date.now();
  return item;
}

/** The definition of the question at `index` (with its answer), or null. */
function questionAt(quiz, index) {
  return quiz && Array.isArray(quiz.questions) && typeof index === "number" ? quiz.questions[index] || null : null;
}

function selectedQuiz() {
  for (const quiz of quizzes.values()) if (ctx.isSelected(QUIZ.type, quiz.id)) return quiz;
  return null;
}

function follow(quizId) {
  ctx.setCurrent(QUIZ.type, quizId);
  ctx.select(QUIZ.type, quizId); // the stage follows what is on the big screen
}

// -- server messages ----------------------------------------------------------------------
function onCreated(msg) {
  if (!msg || !msg.quiz) return;
  if (!quizzes.has(msg.quiz.id)) ctx.refresh(); // another console's: its definition
  upsert(msg.quiz);
  ctx.render();
}

function onStarted(msg) {
  if (!msg || !msg.quiz) return;
  clock.sample(msg.ts);
  upsert(msg.quiz);
  follow(msg.quiz.id);
  ctx.render();
}

function onQuestion(msg) {
  if (!msg || !msg.quiz_id) return;
  clock.sample(msg.ts);
  const known = quizzes.get(msg.quiz_id);
  if (!known) {
    ctx.refresh();
    return;
  }
  upsert({ id: msg.quiz_id, phase: "question", status: `question:${msg.question.id}`, index: msg.index, opened_at: msg.opened_at, deadline: msg.deadline });
  follow(msg.quiz_id);
  ctx.render();
}

function onAnswers(msg) {
  const quiz = msg && quizzes.get(msg.quiz_id);
  if (!quiz) return;
  const question = questionAt(quiz, quiz.index);
  if (quiz.phase !== "question" || !question || question.id !== msg.question_id) return;
  quiz.answered = Math.max(quiz.answered || 0, msg.answered);
  quiz.online = msg.online;
  if (ctx.isSelected(QUIZ.type, quiz.id)) ctx.renderStage();
}

function onReveal(msg) {
  if (!msg || !quizzes.has(msg.quiz_id)) return;
  clock.sample(msg.ts);
  const question = questionAt(quizzes.get(msg.quiz_id), msg.index);
  const item = upsert({ id: msg.quiz_id, phase: "reveal", status: `reveal:${msg.question_id}`, index: msg.index, scored: msg.index + 1 });
  if (item && item.progress === progressOf("reveal", msg.index) && question && question.id === msg.question_id) item.reveal = msg;
  ctx.render();
}

function onEnded(msg) {
  if (!msg || !quizzes.has(msg.quiz_id)) return;
  clock.sample(msg.ts);
  const item = upsert({ id: msg.quiz_id, phase: "ended", status: "closed" });
  if (item) item.ended = msg;
  ctx.render();
}

// -- the list -------------------------------------------------------------------------------
function render() {
  $("quiz-create-button").disabled = ctx.ended;
  $("quiz-import-button").disabled = ctx.ended;
  $("quizzes-empty").hidden = quizzes.size > 0;
  $("quizzes").replaceChildren(
    ...quizzes.items().map((quiz) => {
      const id = quiz.id;
      const titleId = `quiz-title-${id}`;
      const selected = ctx.isSelected(QUIZ.type, id);
      const count = (quiz.questions || []).length;
      return el(
        "li",
        {
          class: "poll-row" + (selected ? " selected" : "") + (ctx.isCurrent(QUIZ.type, id) ? " on-stage" : ""),
          dataset: { quizId: id, phase: quiz.phase || "draft", status: quiz.status || "draft" },
        },
        el(
          "button",
          { type: "button", class: "poll-select", dataset: { action: "select" }, title: "Show on the stage", "aria-current": selected ? "true" : null },
          el("span", { class: `status status-${quiz.status}`, text: PHASE_NAMES[quiz.phase] || "Draft" }),
          el("span", { id: titleId, class: "poll-question", dir: "auto", text: quiz.title || "" }),
          el("span", { class: "poll-meta" }, `Quiz · ${count} question${count === 1 ? "" : "s"}`),
        ),
        el(
          "span",
          { class: "poll-actions" },
          el(
            "button",
            {
              type: "button",
              class: "button small-button",
              dataset: { action: "start" },
              disabled: quiz.phase !== "draft" || ctx.ended,
              "aria-describedby": titleId,
            },
            "Start",
          ),
        ),
      );
    }),
  );
}

function onListClick(evt) {
  const button = evt.target.closest("button[data-action]");
  const row = evt.target.closest("[data-quiz-id]");
  if (!button || !row) return;
  const id = row.dataset.quizId;
  if (button.dataset.action === "select") {
    ctx.select(QUIZ.type, id);
    ctx.render();
    return;
  }
  act(button.dataset.action, id);
}

/** start | next | close | end, from the stage's controls (or the list's Start). */
async function act(action, quizId) {
  if (!["start", "next", "close", "end"].includes(action)) return;
  for (const b of document.querySelectorAll(`[data-quiz-action="${action}"], [data-quiz-id="${CSS.escape(quizId)}"] [data-action="${action}"]`)) {
    b.disabled = true;
  }
  const ack = await ctx.call(`quiz:${action}`, { quiz_id: quizId });
  if (ack.ok) {
    const item = upsert(ack.quiz);
    if (item && action === "close" && ack.reveal && ack.reveal.question_id) item.reveal = ack.reveal;
    if (item && action === "end" && Array.isArray(ack.top)) item.ended = { quiz_id: quizId, top: ack.top, players: ack.players, teams: ack.teams };
    follow(quizId);
  } else {
    ctx.toast(`Could not ${action === "next" ? "open the next question" : `${action} the quiz`}: ${staffErrorText(ack.error)}`);
  }
  ctx.render();
}

// -- the stage ------------------------------------------------------------------------------
/** Draw `quiz` on the stage (the shell drew its title and status); null: hide ours. */
function drawStage(quiz) {
  const stage = stageView;
  if (!quiz) {
    countdown.stop();
    if (stage.isConnected) stage.remove();
    return;
  }
  if (stage.parentNode !== ctx.chart || ctx.chart.childNodes.length !== 1) ctx.chart.replaceChildren(stage);
  delete ctx.chart.dataset.kind;
  stage.dataset.phase = quiz.phase || "draft";
  const phase = quiz.phase || "draft";
  const count = (quiz.questions || []).length || quiz.count || 0;
  const index = typeof quiz.index === "number" ? quiz.index : -1;
  const question = questionAt(quiz, quiz.index);
  const ended = ctx.ended;
  const disabled = {
    start: phase !== "draft",
    next: !(phase === "lobby" || phase === "reveal") || index + 1 >= count,
    close: phase !== "question",
    end: !(phase === "lobby" || phase === "question" || phase === "reveal"),
  };
  for (const b of stage.querySelectorAll("[data-quiz-action]")) {
    b.disabled = disabled[b.dataset.quizAction] || ended;
    if (b.dataset.quizAction === "next") setText(b, phase === "lobby" ? "First question" : "Next question");
  }
  let line = "";
  if (phase === "draft") line = `Not started. Start puts it on the big screen in its lobby; ${count} question${count === 1 ? "" : "s"}.`;
  else if (phase === "lobby") line = "Lobby: the big screen shows the quiz's title. Open the first question when everyone is in.";
  else if (phase === "question") line = `Question ${index + 1} of ${count} is open.`;
  else if (phase === "reveal") line = index + 1 >= count ? `Question ${index + 1} of ${count} closed: that was the last one. End the quiz for the podium.` : `Question ${index + 1} of ${count} closed.`;
  else if (phase === "ended") line = "Ended: the podium is on the big screen.";
  setText("quiz-stage-phase", line);

  const current = $("quiz-stage-current");
  current.hidden = !(question && (phase === "question" || phase === "reveal"));
  if (question) {
    setText("quiz-stage-q", `${KIND_NAMES[question.kind] || question.kind} · ${question.question}`);
    setText("quiz-stage-answer", `Right answer: ${answerText(question)}`);
  }
  if (phase === "question") {
    countdown.start(quiz.deadline);
    const online = typeof quiz.online === "number" ? ` of ${quiz.online} online` : "";
    setText("quiz-answered", `${quiz.answered || 0}${online} answered`);
  } else {
    countdown.stop();
    setText("quiz-stage-countdown", phase === "reveal" ? "Closed." : "");
    const reveal = phase === "reveal" ? quiz.reveal : null;
    const dist = reveal && reveal.distribution;
    setText("quiz-answered", dist ? `${dist.answered} of ${dist.players} players answered, ${dist.correct} right` : "");
  }
  setText(ctx.total, String(phase === "question" ? quiz.answered || 0 : quiz.reveal && quiz.reveal.distribution ? quiz.reveal.distribution.answered : 0));
  setText(ctx.totalLabel, "answers");

  // After a close: the distribution and the top 10; after the end: the final top.
  const reveal = phase === "reveal" && quiz.reveal && question ? quiz.reveal : null;
  $("quiz-stage-reveal").hidden = !reveal;
  if (reveal) {
    const rows = distributionRows(question, reveal.distribution, reveal.correct);
    const counts = Object.fromEntries(rows.map((r) => [r.id, r.count]));
    const labelled = rows.map((r) => ({ id: r.id, label: r.correct ? `✓ ${r.label} (right)` : r.label }));
    $("quiz-stage-distribution").replaceChildren(barList(labelled, counts, (reveal.distribution && reveal.distribution.answered) || 0, "bars-quiz"));
  }
  const board = phase === "ended" ? quiz.ended : reveal;
  const top = topOf(board);
  $("quiz-stage-board").hidden = !board;
  setText("quiz-stage-board-title", phase === "ended" ? "Final ranking" : "Leaderboard");
  $("quiz-stage-top").replaceChildren(
    ...(top.length
      ? top.map((entry) =>
          el(
            "li",
            { class: "quiz-board-row", dataset: { attendeeId: entry.attendee_id, rank: String(entry.rank) } },
            el("span", { class: "quiz-board-rank" }, `${entry.rank}.`),
            el("span", { class: "quiz-board-name", dir: "auto" }, entry.name),
            el("span", { class: "quiz-board-score" }, String(entry.score)),
          ),
        )
      : [el("li", { class: "muted" }, "Nobody played.")]),
  );
}

function drawCountdown(left) {
  setText("quiz-stage-countdown", left > 0 ? `${secondsLeft(left)} s left ·` : "Time is up ·");
}

/** A question's right answer, as the presenter reads it. */
function answerText(question) {
  if (question.kind === "single" || question.kind === "multiple") {
    const labels = new Map((question.options || []).map((o) => [o.id, o.label]));
    return (question.correct || []).map((id) => labels.get(id) || id).join(", ");
  }
  if (question.kind === "truefalse") return question.correct ? "true" : "false";
  if (question.kind === "text") return (question.accept || []).join(" | ");
  if (question.kind === "number") return question.tolerance ? `${question.answer} ± ${question.tolerance}` : String(question.answer);
  return "";
}

// -- the "New quiz" form ------------------------------------------------------------------------
function newQuizCard() {
  const form = el(
    "form",
    { id: "quiz-form", novalidate: true },
    el("label", { for: "quiz-title-input" }, "Title"),
    el("input", { id: "quiz-title-input", maxlength: 200, required: true, dir: "auto", autocomplete: "off", placeholder: "General knowledge" }),
    el("ol", { id: "quiz-question-editors", class: "quiz-editors" }),
    el("button", { id: "quiz-add-question", type: "button", class: "button small-button" }, "Add a question"),
    el(
      "label",
      { class: "check", for: "quiz-streak" },
      el("input", { id: "quiz-streak", type: "checkbox", checked: true }),
      " Streak bonus",
    ),
    el("label", { for: "quiz-teams" }, "Teams"),
    el(
      "select",
      { id: "quiz-teams" },
      el("option", { value: "" }, "No teams"),
      el("option", { value: "organisation" }, "By organisation"),
      el("option", { value: "country" }, "By country"),
    ),
    el("button", { id: "quiz-create-button", type: "submit", class: "button primary" }, "Create quiz"),
    el("p", { id: "quiz-create-error", class: "error", role: "alert", hidden: true }),
  );
  form.addEventListener("submit", onCreate);
  form.addEventListener("change", (evt) => {
    if (evt.target.matches("[data-field=kind]")) syncEditor(evt.target.closest(".quiz-editor"));
  });
  form.addEventListener("click", (evt) => {
    const remove = evt.target.closest("[data-editor-action=remove]");
    if (remove) {
      const editors = document.querySelectorAll("#quiz-question-editors .quiz-editor");
      if (editors.length > 1) remove.closest(".quiz-editor").remove();
      numberEditors();
      const first = document.querySelector("#quiz-question-editors .quiz-editor [data-field=question]");
      if (first) first.focus();
    }
  });
  form.querySelector("#quiz-add-question").addEventListener("click", () => {
    const editor = addQuestion();
    editor.querySelector("[data-field=question]").focus();
  });
  return el("section", { id: "quiz-new-card", class: "card" }, el("h2", {}, "New quiz"), form);
}

/** A field with its label (for= its id). */
function field(label, control, extra = null) {
  return el("div", { class: "quiz-field" }, el("label", { for: control.id }, label, extra ? [" ", extra] : []), control);
}

function addQuestion() {
  editorSeq += 1;
  const n = editorSeq;
  const id = (name) => `quiz-q${n}-${name}`;
  const kind = el(
    "select",
    { id: id("kind"), dataset: { field: "kind" } },
    Object.entries(KIND_NAMES).map(([value, label]) => el("option", { value }, label)),
  );
  const options = el(
    "fieldset",
    { class: "quiz-editor-options plain-fieldset", dataset: { part: "options" } },
    el("legend", { class: "quiz-legend" }, "Options (2 to 6); tick the right ones"),
    LETTERS.map((letter, i) =>
      el(
        "div",
        { class: "quiz-option-row" },
        el("label", { for: id(`option-${letter}`), class: "visually-hidden" }, `Option ${letter.toUpperCase()}`),
        el("input", { id: id(`option-${letter}`), dataset: { field: "option", letter }, maxlength: 120, dir: "auto", autocomplete: "off", placeholder: `Option ${letter.toUpperCase()}${i < 2 ? "" : " (optional)"}` }),
        el(
          "label",
          { class: "check quiz-correct-check", for: id(`correct-${letter}`) },
          el("input", { id: id(`correct-${letter}`), type: "checkbox", dataset: { field: "correct", letter } }),
          el("span", {}, " right", el("span", { class: "visually-hidden" }, ` (option ${letter.toUpperCase()})`)),
        ),
      ),
    ),
  );
  const editor = el(
    "li",
    { class: "quiz-editor", dataset: { editor: String(n) } },
    el(
      "fieldset",
      { class: "plain-fieldset" },
      el("legend", { class: "quiz-editor-title" }, "Question"),
      field("Kind", kind),
      field("Question", el("textarea", { id: id("question"), rows: 2, maxlength: 300, dir: "auto", dataset: { field: "question" } })),
      el(
        "div",
        { class: "quiz-editor-row" },
        field("Time limit (s)", el("input", { id: id("time"), type: "number", min: 5, max: 240, step: 1, value: 20, dataset: { field: "time_limit_s" } })),
        field(
          "Points",
          el(
            "select",
            { id: id("points"), dataset: { field: "points" } },
            el("option", { value: "1000" }, "1000"),
            el("option", { value: "2000" }, "2000 (double)"),
            el("option", { value: "0" }, "0 (no points)"),
          ),
        ),
      ),
      options,
      el(
        "div",
        { dataset: { part: "truefalse" } },
        field(
          "Right answer",
          el("select", { id: id("truefalse"), dataset: { field: "truefalse" } }, el("option", { value: "true" }, "True"), el("option", { value: "false" }, "False")),
        ),
      ),
      el(
        "div",
        { dataset: { part: "text" } },
        field(
          "Accepted answers",
          el("textarea", { id: id("accept"), rows: 2, dir: "auto", dataset: { field: "accept" } }),
          el("span", { class: "optional" }, "(one per line; case, accents and spaces are ignored)"),
        ),
      ),
      el(
        "div",
        { class: "quiz-editor-row", dataset: { part: "number" } },
        field("Right number", el("input", { id: id("answer"), inputmode: "decimal", autocomplete: "off", dataset: { field: "answer" } })),
        field("Tolerance", el("input", { id: id("tolerance"), inputmode: "decimal", autocomplete: "off", placeholder: "0", dataset: { field: "tolerance" } }), el("span", { class: "optional" }, "(optional)")),
      ),
      el("button", { type: "button", class: "button small-button", dataset: { editorAction: "remove" } }, "Remove this question"),
    ),
  );
  $("quiz-question-editors").append(editor);
  syncEditor(editor);
  numberEditors();
  return editor;
}

function numberEditors() {
  const editors = [...document.querySelectorAll("#quiz-question-editors .quiz-editor")];
  editors.forEach((editor, i) => {
    setText(editor.querySelector(".quiz-editor-title"), `Question ${i + 1}`);
    const remove = editor.querySelector("[data-editor-action=remove]");
    remove.hidden = editors.length < 2;
    setText(remove, `Remove question ${i + 1}`);
  });
}

/** Show the fields of the editor's kind only. */
function syncEditor(editor) {
  const kind = editor.querySelector("[data-field=kind]").value;
  editor.dataset.kind = kind;
  const parts = { options: kind === "single" || kind === "multiple", truefalse: kind === "truefalse", text: kind === "text", number: kind === "number" };
  for (const [part, shown] of Object.entries(parts)) editor.querySelector(`[data-part=${part}]`).hidden = !shown;
}

/** The number typed (a decimal comma is a point), or NaN. */
function numberOf(text) {
  return Number(String(text).trim().replace(",", "."));
}

/** One editor's question as `quiz:create` takes it, or an error text. */
function readEditor(editor, n) {
  const value = (name) => editor.querySelector(`[data-field=${name}]`).value;
  const kind = value("kind");
  const question = {
    kind,
    question: value("question").trim(),
    time_limit_s: Math.round(Number(value("time_limit_s"))),
    points: Number(value("points")),
  };
  if (!question.question) return `Question ${n}: write the question.`;
  if (kind === "single" || kind === "multiple") {
    const filled = LETTERS.map((letter) => ({
      letter,
      label: editor.querySelector(`[data-field=option][data-letter=${letter}]`).value.trim(),
      right: editor.querySelector(`[data-field=correct][data-letter=${letter}]`).checked,
    })).filter((o) => o.label);
    if (filled.length < 2) return `Question ${n}: give at least two options.`;
    question.options = filled.map((o) => o.label);
    // Ids follow the filled options (a, b, ...), whichever rows were left empty.
    question.correct = filled.flatMap((o, i) => (o.right ? [LETTERS[i]] : []));
    if (!question.correct.length) return `Question ${n}: tick the right option${kind === "multiple" ? "s" : ""}.`;
  } else if (kind === "truefalse") {
    question.correct = value("truefalse") === "true";
  } else if (kind === "text") {
    question.accept = value("accept").split("\n").map((line) => line.trim()).filter(Boolean);
    if (!question.accept.length) return `Question ${n}: give at least one accepted answer.`;
  } else if (kind === "number") {
    const answer = numberOf(value("answer"));
    if (!value("answer").trim() || !Number.isFinite(answer)) return `Question ${n}: give the right number.`;
    question.answer = answer;
    if (value("tolerance").trim()) {
      const tolerance = numberOf(value("tolerance"));
      if (!Number.isFinite(tolerance) || tolerance < 0) return `Question ${n}: the tolerance is a number, 0 or more.`;
      question.tolerance = tolerance;
    }
  }
  return question;
}

async function onCreate(evt) {
  evt.preventDefault();
  const error = $("quiz-create-error");
  const showError = (text) => {
    error.hidden = !text;
    setText(error, text || "");
  };
  const title = $("quiz-title-input").value.trim();
  if (!title) {
    showError("Give the quiz a title.");
    $("quiz-title-input").focus();
    return;
  }
  const questions = [];
  const editors = [...document.querySelectorAll("#quiz-question-editors .quiz-editor")];
  for (const [i, editor] of editors.entries()) {
    const read = readEditor(editor, i + 1);
    if (typeof read === "string") {
      showError(read);
      editor.querySelector("[data-field=question]").focus();
      return;
    }
    questions.push(read);
  }
  const payload = { title, questions, streak_bonus: $("quiz-streak").checked };
  if ($("quiz-teams").value) payload.teams = $("quiz-teams").value;
  showError("");
  const button = $("quiz-create-button");
  button.disabled = true;
  setText(button, "Creating…");
  const ack = await ctx.call("quiz:create", payload);
  button.disabled = ctx.ended;
  setText(button, "Create quiz");
  if (!ack.ok) return showError(staffErrorText(ack.error));
  created(ack.quiz);
  $("quiz-title-input").value = "";
  $("quiz-question-editors").replaceChildren();
  addQuestion();
}

function created(definition) {
  upsert(definition);
  ctx.select(QUIZ.type, definition.id);
  ctx.render();
  ctx.toast(`Quiz “${definition.title}” created with ${definition.questions.length} question${definition.questions.length === 1 ? "" : "s"}.`);
}

// -- importing a file ------------------------------------------------------------------------------
function importCard() {
  const form = el(
    "form",
    { id: "quiz-import-form", novalidate: true },
    el("p", { class: "muted small" }, "A JSON file (the quiz:create payload, or a list of questions) or a CSV file (one question per row: kind, question, time_limit_s, points, a…f, correct, accept, answer, tolerance). See docs/quiz.md."),
    el("label", { for: "quiz-import-file" }, "File"),
    el("input", { id: "quiz-import-file", type: "file", accept: ".json,.csv,application/json,text/csv" }),
    el("label", { for: "quiz-import-title" }, "Title ", el("span", { class: "optional" }, "(if the file has none, as a CSV)")),
    el("input", { id: "quiz-import-title", maxlength: 200, dir: "auto", autocomplete: "off" }),
    el("button", { id: "quiz-import-button", type: "submit", class: "button primary" }, "Import quiz"),
    el("p", { id: "quiz-import-error", class: "error", role: "alert", hidden: true }),
  );
  form.addEventListener("submit", onImport);
  return el("section", { id: "quiz-import-card", class: "card" }, el("h2", {}, "Import a quiz"), form);
}

async function onImport(evt) {
  evt.preventDefault();
  const error = $("quiz-import-error");
  const showError = (text) => {
    error.hidden = !text;
    setText(error, text || "");
  };
  const file = $("quiz-import-file").files[0];
  if (!file) {
    showError("Choose a JSON or CSV file first.");
    $("quiz-import-file").focus();
    return;
  }
  const data = await file.text();
  const format = /\.csv$/i.test(file.name) || (!/\.json$/i.test(file.name) && !/^\s*[[{]/.test(data.replace(/^\uFEFF/, ""))) ? "csv" : "json";
  const title = $("quiz-import-title").value.trim();
  showError("");
  const button = $("quiz-import-button");
  button.disabled = true;
  setText(button, "Importing…");
  let result;
  if (new TextEncoder().encode(data).length <= SOCKET_IMPORT_BYTES) {
    const payload = { format, data };
    if (title) payload.title = title;
    const ack = await ctx.call("quiz:import", payload);
    result = ack.ok ? { quiz: ack.quiz } : { error: staffErrorText(ack.error) };
  } else {
    result = await importOverRest(format, data, title);
  }
  button.disabled = ctx.ended;
  setText(button, "Import quiz");
  if (result.error) return showError(result.error);
  created(result.quiz);
  $("quiz-import-file").value = "";
  $("quiz-import-title").value = "";
}

/** A large file: `POST /api/events/CODE/quizzes?room=ROOM` (up to 256 KiB). */
async function importOverRest(format, data, title) {
  const query = new URLSearchParams();
  if (ctx.room) query.set("room", ctx.room);
  if (title) query.set("title", title);
  try {
    const response = await fetch(`/api/events/${encodeURIComponent(ctx.code)}/quizzes?${query}`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${ctx.key}`,
        "Content-Type": format === "csv" ? "text/csv" : "application/json",
      },
      body: data,
    });
    const body = await response.json().catch(() => null);
    if (response.status === 201 && body && body.quiz) return { quiz: body.quiz };
    return { error: body && body.error ? staffErrorText(body.error) : `The server answered HTTP ${response.status}.` };
  } catch (err) {
    return { error: `Could not import: ${err && err.message ? err.message : "network error"}` };
  }
}

registerKind({
  ...QUIZ,
  presenter: {
    mount,
    applyState,
    render,
    items,
    item,
    describe,
    title: (quiz) => quiz.title || "",
    drawStage,
    ownStage: true,
    act,
    messages: {
      "quiz:created": onCreated,
      "quiz:started": onStarted,
      "quiz:question": onQuestion,
      "quiz:answers": onAnswers,
      "quiz:reveal": onReveal,
      "quiz:ended": onEnded,
    },
  },
});
