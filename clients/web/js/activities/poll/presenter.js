// Polls in the presenter console: the list of polls with their open / close / reveal
// buttons, the "New poll" form, live results on the stage.

import { $, el, setText } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { mergeActivity, missedChange, newerResults, statusText } from "../../core/sync.js";
import { CHOICE_KINDS, KIND_LABELS, POLL, PollResultsView, kindLabel } from "./model.js";

let ctx = null; // the page shell's context (js/presenter.js)
const polls = new Map(); // id -> poll (with results)
let order = []; // poll ids, oldest first
let chart = null;

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  chart = new PollResultsView(ctx.chart, { totalEl: ctx.total });
  const list = el("ol", { id: "polls", class: "poll-list" });
  list.addEventListener("click", onPollsClick);
  ctx.main.append(
    el("section", { class: "card" }, el("h2", {}, "Polls"), el("p", { id: "polls-empty", class: "muted" }, "No polls yet."), list),
  );
  const kinds = el(
    "select",
    { id: "kind-select" },
    Object.entries(KIND_LABELS).map(([kind, label]) => el("option", { value: kind }, label)),
  );
  kinds.addEventListener("change", syncKindFields);
  const form = el(
    "form",
    { id: "create-form", novalidate: true },
    el("label", { for: "question-input" }, "Question"),
    el("textarea", {
      id: "question-input",
      rows: 2,
      maxlength: 300,
      required: true,
      dir: "auto",
      placeholder: "What would you like to ask?",
    }),
    el("label", { for: "kind-select" }, "Kind"),
    kinds,
    el(
      "div",
      { id: "options-field" },
      el("label", { for: "options-input" }, "Options ", el("span", { class: "optional" }, "(one per line, 2 to 12)")),
      el("textarea", { id: "options-input", rows: 4, dir: "auto", placeholder: "Yes\nNo" }),
    ),
    el(
      "div",
      { id: "scale-field", hidden: true },
      el("label", { for: "scale-select" }, "Scale"),
      el("select", { id: "scale-select" }, el("option", { value: "5" }, "1 to 5"), el("option", { value: "10" }, "1 to 10")),
    ),
    el("button", { id: "create-button", type: "submit", class: "button primary" }, "Create poll"),
    el("p", { id: "create-error", class: "error", role: "alert", hidden: true }),
  );
  form.addEventListener("submit", onCreate);
  ctx.side.append(el("section", { class: "card" }, el("h2", {}, "New poll"), form));
  syncKindFields();
}

/** `welcome` (and `state:get`): every poll of the event, and the activity on stage. */
function applyState(msg) {
  // A welcome replaces our state: polls it does not list are gone. Each listed poll is
  // still merged with our copy, which may be newer (a broadcast can overtake a welcome).
  if (Array.isArray(msg.polls)) {
    const listed = new Set(msg.polls.map((p) => p.id));
    for (const id of [...polls.keys()]) if (!listed.has(id)) polls.delete(id);
    order = order.filter((id) => listed.has(id));
  }
  for (const poll of msg.polls || []) upsert(poll, null, false);
  const activity = msg.activity;
  const current = activity && activity.type === POLL.type ? activity.poll : null;
  if (current) {
    upsert(current, null, false);
    ctx.setCurrent(POLL.type, current.id);
  }
}

function items() {
  return order.map((id) => polls.get(id));
}

function item(id) {
  return polls.get(id) || null;
}

/** The stage (js/presenter.js draws its head): the results of `poll`, or nothing. */
function drawStage(poll) {
  if (!poll) {
    chart.setPoll(null);
    return;
  }
  if (!chart.poll || chart.poll.id !== poll.id) chart.setPoll(poll);
  else {
    chart.poll = poll;
    if (!chart.update(poll.results)) chart.render();
  }
  const total = poll.results ? poll.results.total : 0;
  setText(ctx.totalLabel, t("results.answers_word", { count: total }));
}

// -- server messages ----------------------------------------------------------------------
function checkMissed(poll) {
  if (poll && missedChange(polls.get(poll.id), poll)) ctx.refresh();
}

function onOpened(msg) {
  checkMissed(msg.poll);
  upsert(msg.poll);
  ctx.setCurrent(POLL.type, msg.poll.id);
  ctx.select(POLL.type, msg.poll.id); // follow what is on stage
  ctx.render();
}

function onResults(results) {
  const poll = polls.get(results.poll_id);
  if (!poll) {
    ctx.refresh(); // results of a poll we never heard of: we missed its poll:created
    return;
  }
  if (newerResults(poll.results, results) !== poll.results) {
    poll.results = results;
    // Up to 4 a second: touch only this poll's count and the chart.
    const count = document.querySelector(`[data-poll-id="${CSS.escape(poll.id)}"] .answers`);
    if (count) setText(count, results.total);
    if (ctx.isSelected(POLL.type, poll.id)) ctx.renderStage();
  }
}

/** Add or update a poll; results only replace older ones (by seq). */
function upsert(incoming, results = null, redraw = true) {
  if (!incoming || !incoming.id) return;
  const known = polls.get(incoming.id);
  const merged = mergeActivity(known, incoming);
  merged.results = [known && known.results, incoming.results, results].reduce(newerResults, null);
  polls.set(incoming.id, merged);
  if (!order.includes(incoming.id)) {
    order.push(incoming.id);
    order.sort((a, b) => (polls.get(a).created_at || 0) - (polls.get(b).created_at || 0));
  }
  if (redraw) ctx.render();
}

// -- the list -------------------------------------------------------------------------------
function render() {
  $("create-button").disabled = ctx.ended;
  const list = $("polls");
  $("polls-empty").hidden = order.length > 0;
  const rows = order.map((id) => {
    const poll = polls.get(id);
    const total = poll.results ? poll.results.total : 0;
    const questionId = `poll-question-${id}`;
    const selected = ctx.isSelected(POLL.type, id);
    return el(
      "li",
      {
        class: "poll-row" + (selected ? " selected" : "") + (ctx.isCurrent(POLL.type, id) ? " on-stage" : ""),
        dataset: { pollId: id, status: poll.status, revealed: String(Boolean(poll.revealed)) },
      },
      el(
        "button",
        {
          type: "button",
          class: "poll-select",
          dataset: { action: "select" },
          title: "Show results",
          // Which poll the stage shows: said, not only coloured.
          "aria-current": selected ? "true" : null,
        },
        el("span", { class: `status status-${poll.status}`, text: statusText(poll) }),
        el("span", { id: questionId, class: "poll-question", dir: "auto", text: poll.question }),
        el(
          "span",
          { class: "poll-meta" },
          `${kindLabel(poll)} · `,
          el("span", { class: "answers", text: String(total) }),
          " answered",
          poll.revealed ? " · revealed" : "",
        ),
      ),
      el(
        "span",
        { class: "poll-actions" },
        actionButton("open", poll.status === "closed" ? "Reopen" : "Open", poll.status === "open", questionId),
        actionButton("close", "Close", poll.status !== "open", questionId),
        actionButton("reveal", poll.revealed ? "Revealed" : "Reveal", Boolean(poll.revealed), questionId),
      ),
    );
  });
  list.replaceChildren(...rows);
}

/** A row's Open / Close / Reveal button, described by its poll's question (the same
 *  label on every row). */
function actionButton(action, label, disabled, describedBy) {
  return el(
    "button",
    {
      type: "button",
      class: "button small-button",
      dataset: { action },
      disabled: disabled || ctx.ended,
      "aria-describedby": describedBy,
    },
    label,
  );
}

function onPollsClick(evt) {
  const button = evt.target.closest("button[data-action]");
  const row = evt.target.closest("[data-poll-id]");
  if (!button || !row) return;
  const id = row.dataset.pollId;
  if (button.dataset.action === "select") {
    ctx.select(POLL.type, id);
    ctx.render();
    return;
  }
  act(button.dataset.action, id);
}

/** open | close | reveal, from the list or the stage's buttons. */
async function act(action, pollId) {
  const buttons = document.querySelectorAll(
    `[data-poll-id="${CSS.escape(pollId)}"] [data-action="${action}"], [data-stage-action="${action}"]`,
  );
  for (const b of buttons) b.disabled = true;
  const ack = await ctx.call(`poll:${action}`, { poll_id: pollId });
  if (ack.ok) {
    upsert(action === "reveal" ? { ...ack.poll, revealed: true } : ack.poll, ack.results || null, false);
    if (action === "open") {
      ctx.setCurrent(POLL.type, pollId);
      ctx.select(POLL.type, pollId);
    }
  } else {
    ctx.toast(`Could not ${action} the poll: ${staffErrorText(ack.error)}`);
  }
  ctx.render();
}

// -- the "New poll" form ------------------------------------------------------------------
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
  const ack = await ctx.call("poll:create", payload);
  button.disabled = false;
  setText(button, "Create poll");
  if (!ack.ok) return showError(staffErrorText(ack.error));
  upsert(ack.poll, null, false);
  ctx.select(POLL.type, ack.poll.id);
  $("question-input").value = "";
  $("options-input").value = "";
  ctx.render();
}

registerKind({
  ...POLL,
  presenter: {
    mount,
    applyState,
    render,
    items,
    item,
    describe: kindLabel,
    title: (poll) => poll.question,
    drawStage,
    act,
    messages: {
      "poll:created": (msg) => upsert(msg.poll),
      "poll:opened": onOpened,
      "poll:closed": (msg) => {
        checkMissed(msg.poll);
        upsert(msg.poll, msg.results);
      },
      "poll:revealed": (msg) => {
        checkMissed(msg.poll);
        upsert({ ...msg.poll, revealed: true }, msg.results);
      },
      "poll:results": onResults,
    },
  },
});
