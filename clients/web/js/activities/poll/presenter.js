// Polls in the presenter console: the list of polls in their running order (or newest
// first) with open / close / reveal, the "New poll" form, live results on the stage.
// The selected poll's row has its tools: edit (a draft), duplicate, delete (confirmed:
// its answers go too), move up / move down. The running order also changes by dragging
// a row, or with Alt+Arrow up / down on a row; each move is said to screen readers.
// The poll on stage (the last one opened, open or closed: what the phones and the big
// screen show) is marked "On stage" in words, not only by a colour.

import { announce, focusIfLost } from "../../core/a11y.js";
import { $, el, setText, storage } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { mergeActivity, missedChange, newerResults, statusText } from "../../core/sync.js";
import { CHOICE_KINDS, KIND_LABELS, POLL, PollResultsView, kindLabel } from "./model.js";

const ORDER_KEY = "plenary.console.poll_order"; // "running" | "newest", per device
const DEFAULT_MAX_WORDS = 3;
const MAX_WORDS = 10;

let ctx = null; // the page shell's context (js/presenter.js)
const polls = new Map(); // id -> poll (with results)
let order = []; // poll ids in the running order (the server's)
let view = storage.get(ORDER_KEY) === "newest" ? "newest" : "running";
let editing = null; // {id, question, kind, options, scale, maxWords, error}: the draft being edited
let confirming = null; // the id of the poll whose deletion waits for a confirmation
let dragged = null; // the id of the row being dragged
let chart = null;

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  chart = new PollResultsView(ctx.chart, { totalEl: ctx.total });
  const list = el("ol", { id: "polls", class: "poll-list", "aria-labelledby": "polls-heading" });
  list.addEventListener("click", onPollsClick);
  list.addEventListener("keydown", onPollsKey);
  list.addEventListener("input", onEditInput);
  list.addEventListener("change", onEditInput);
  list.addEventListener("submit", onEditSubmit);
  list.addEventListener("dragstart", onDragStart);
  list.addEventListener("dragover", onDragOver);
  list.addEventListener("dragleave", onDragLeave);
  list.addEventListener("drop", onDrop);
  list.addEventListener("dragend", onDragEnd);
  const orderSelect = el(
    "select",
    { id: "poll-order" },
    el("option", { value: "running", selected: view === "running" }, "Running order"),
    el("option", { value: "newest", selected: view === "newest" }, "Newest first"),
  );
  orderSelect.addEventListener("change", () => {
    view = orderSelect.value === "newest" ? "newest" : "running";
    storage.set(ORDER_KEY, view);
    render();
  });
  ctx.main.append(
    el(
      "section",
      { class: "card polls-card", "aria-labelledby": "polls-heading" },
      el(
        "div",
        { class: "polls-head" },
        el("h2", { id: "polls-heading", tabindex: "-1" }, "Polls"),
        el("div", { class: "polls-order" }, el("label", { for: "poll-order" }, "Show"), orderSelect),
      ),
      el("p", { id: "polls-order-hint", class: "muted small" }),
      el("p", { id: "polls-empty", class: "muted" }, "No polls yet."),
      list,
    ),
  );
  const form = el(
    "form",
    { id: "create-form", novalidate: true },
    ...definitionFields("create", { question: "", kind: "single", options: "", scale: 5, maxWords: DEFAULT_MAX_WORDS }),
    el("button", { id: "create-button", type: "submit", class: "button primary" }, "Create poll"),
    el("p", { id: "create-error", class: "error", role: "alert", hidden: true }),
  );
  form.addEventListener("submit", onCreate);
  form.addEventListener("change", (evt) => {
    if (evt.target.id === "kind-select") syncKindFields("create");
  });
  ctx.side.append(el("section", { class: "card" }, el("h2", {}, "New poll"), form));
  syncKindFields("create");
}

/** The ids of a definition form's fields: the "New poll" form keeps the ids tests and
 *  people's bookmarks know; the edit form's are prefixed. */
function fieldIds(prefix) {
  if (prefix === "create") {
    return {
      question: "question-input",
      kind: "kind-select",
      optionsField: "options-field",
      options: "options-input",
      scaleField: "scale-field",
      scale: "scale-select",
      wordsField: "max-words-field",
      words: "max-words-input",
    };
  }
  return {
    question: "poll-edit-question",
    kind: "poll-edit-kind",
    optionsField: "poll-edit-options-field",
    options: "poll-edit-options",
    scaleField: "poll-edit-scale-field",
    scale: "poll-edit-scale",
    wordsField: "poll-edit-words-field",
    words: "poll-edit-words",
  };
}

/** Question, kind, options (choice polls), scale (ratings), words per attendee (word
 *  clouds): the fields of the "New poll" form and of a draft's edit form. */
function definitionFields(prefix, values) {
  const ids = fieldIds(prefix);
  return [
    el("label", { for: ids.question }, "Question"),
    el(
      "textarea",
      { id: ids.question, rows: 2, maxlength: 300, required: true, dir: "auto", placeholder: "What would you like to ask?" },
      values.question,
    ),
    el("label", { for: ids.kind }, "Kind"),
    el(
      "select",
      { id: ids.kind },
      Object.entries(KIND_LABELS).map(([kind, label]) => el("option", { value: kind, selected: kind === values.kind }, label)),
    ),
    el(
      "div",
      { id: ids.optionsField },
      el("label", { for: ids.options }, "Options ", el("span", { class: "optional" }, "(one per line, 2 to 12)")),
      el("textarea", { id: ids.options, rows: 4, dir: "auto", placeholder: "Yes\nNo" }, values.options),
    ),
    el(
      "div",
      { id: ids.scaleField, hidden: true },
      el("label", { for: ids.scale }, "Scale"),
      el(
        "select",
        { id: ids.scale },
        el("option", { value: "5", selected: Number(values.scale) !== 10 }, "1 to 5"),
        el("option", { value: "10", selected: Number(values.scale) === 10 }, "1 to 10"),
      ),
    ),
    el(
      "div",
      { id: ids.wordsField, hidden: true },
      el("label", { for: ids.words }, "Words per attendee ", el("span", { class: "optional" }, `(1 to ${MAX_WORDS})`)),
      el("input", {
        id: ids.words,
        type: "number",
        min: 1,
        max: MAX_WORDS,
        step: 1,
        inputmode: "numeric",
        value: String(values.maxWords),
      }),
    ),
  ];
}

function syncKindFields(prefix) {
  const ids = fieldIds(prefix);
  const kind = $(ids.kind) ? $(ids.kind).value : "single";
  if (!$(ids.optionsField)) return;
  $(ids.optionsField).hidden = !CHOICE_KINDS.has(kind);
  $(ids.scaleField).hidden = kind !== "rating";
  $(ids.wordsField).hidden = kind !== "wordcloud";
}

/** The definition typed in a form, as the server takes it: `{payload}` or `{error}`. */
function readDefinition(prefix) {
  const ids = fieldIds(prefix);
  const question = $(ids.question).value.trim();
  const kind = $(ids.kind).value;
  if (!question) return { error: "Write a question first.", focus: ids.question };
  const payload = { question, kind };
  if (CHOICE_KINDS.has(kind)) {
    payload.options = $(ids.options)
      .value.split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    if (payload.options.length < 2) return { error: "Give at least two options, one per line.", focus: ids.options };
    if (payload.options.length > 12) return { error: "Give at most 12 options.", focus: ids.options };
  } else if (kind === "rating") {
    payload.scale = Number($(ids.scale).value);
  } else if (kind === "wordcloud") {
    const words = Number($(ids.words).value);
    if (!Number.isInteger(words) || words < 1 || words > MAX_WORDS) {
      return { error: `Words per attendee: a whole number from 1 to ${MAX_WORDS}.`, focus: ids.words };
    }
    payload.max_words = words;
  }
  return { payload };
}

/** `welcome` (and `state:get`): every poll of the room in the running order, and the
 *  activity on stage. */
function applyState(msg) {
  // A welcome replaces our state: polls it does not list are gone. Each listed poll is
  // still merged with our copy, which may be newer (a broadcast can overtake a welcome).
  if (Array.isArray(msg.polls)) {
    const listed = new Set(msg.polls.map((p) => p.id));
    for (const id of [...polls.keys()]) if (!listed.has(id)) polls.delete(id);
    order = msg.polls.map((p) => p.id);
    if (editing && !listed.has(editing.id)) editing = null;
    if (confirming && !listed.has(confirming)) confirming = null;
  }
  for (const poll of msg.polls || []) upsert(poll, null, false);
  const activity = msg.activity;
  const current = activity && activity.type === POLL.type ? activity.poll : null;
  if (current) {
    upsert(current, null, false);
    ctx.setCurrent(POLL.type, current.id);
  }
}

/** The polls in their running order (the shell selects the first draft when nothing is
 *  on stage: the next poll to run). */
function items() {
  return order.map((id) => polls.get(id)).filter(Boolean);
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
  upsert(msg.poll, null, false);
  ctx.setCurrent(POLL.type, msg.poll.id);
  ctx.select(POLL.type, msg.poll.id); // follow what is on stage
  if (editing && editing.id === msg.poll.id) editing = null; // opened elsewhere: no more a draft
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

function onUpdated(msg) {
  if (!msg || !msg.poll) return;
  checkMissed(msg.poll);
  upsert(msg.poll);
}

function onDeleted(msg) {
  if (!msg || !msg.poll_id) return;
  forgetPoll(msg.poll_id);
  ctx.render();
}

/** The running order changed (a reorder or a duplicate, here or on another console). */
function onOrder(msg) {
  if (!msg || !Array.isArray(msg.order)) return;
  if (msg.order.some((id) => !polls.has(id))) {
    ctx.refresh(); // a poll we never heard of: we missed its poll:created
    return;
  }
  order = msg.order.slice();
  for (const id of polls.keys()) if (!order.includes(id)) order.push(id);
  ctx.render();
}

/** Add or update a poll; results only replace older ones (by seq). A new poll goes at
 *  the end of the running order, where the server puts it. */
function upsert(incoming, results = null, redraw = true) {
  if (!incoming || !incoming.id) return;
  const known = polls.get(incoming.id);
  const merged = mergeActivity(known, incoming);
  merged.results = [known && known.results, incoming.results, results].reduce(newerResults, null);
  polls.set(incoming.id, merged);
  if (!order.includes(incoming.id)) order.push(incoming.id);
  if (editing && editing.id === incoming.id && merged.status !== "draft") editing = null;
  if (redraw) ctx.render();
}

/** A poll is gone: out of the list; the selection moves to its neighbour. */
function forgetPoll(id) {
  if (!polls.has(id)) return;
  const shown = displayed();
  const at = shown.indexOf(id);
  polls.delete(id);
  order = order.filter((other) => other !== id);
  if (editing && editing.id === id) editing = null;
  if (confirming === id) confirming = null;
  if (ctx.isCurrent(POLL.type, id)) ctx.setCurrent(null, null);
  if (ctx.isSelected(POLL.type, id)) {
    const rest = displayed();
    const next = rest[Math.min(at, rest.length - 1)];
    if (next) ctx.select(POLL.type, next);
    else ctx.select(null, null);
  }
}

// -- the list -------------------------------------------------------------------------------
/** The ids in the order the list shows them. */
function displayed() {
  if (view === "running") return order.filter((id) => polls.has(id));
  return order
    .filter((id) => polls.has(id))
    .map((id, index) => ({ id, index, created: polls.get(id).created_at || 0 }))
    .sort((a, b) => b.created - a.created || b.index - a.index)
    .map((entry) => entry.id);
}

/** How to find the focused control again once the list is drawn anew. */
function focusKey(node) {
  if (!node || !node.closest || !node.closest("#polls")) return null;
  if (node.id) return `#${CSS.escape(node.id)}`;
  const row = node.closest("[data-poll-id]");
  const action = node.dataset && node.dataset.action;
  return row && action ? `[data-poll-id="${CSS.escape(row.dataset.pollId)}"] [data-action="${action}"]` : null;
}

function render() {
  $("create-button").disabled = ctx.ended;
  const ids = displayed();
  $("polls-empty").hidden = ids.length > 0;
  const running = view === "running";
  setText(
    "polls-order-hint",
    !ids.length || ctx.ended
      ? ""
      : running
        ? "The running order: drag a poll, or select it and use Move up / Move down (Alt+Up / Alt+Down on a poll)."
        : "Newest first. To change the running order, show the running order.",
  );
  const key = focusKey(document.activeElement);
  const rows = ids.map((id, index) => pollRow(polls.get(id), index, ids.length, running));
  $("polls").replaceChildren(...rows);
  if (editing) syncKindFields("edit");
  if (key) {
    // The focus was in the list: on the same control again, else on its row.
    const again = document.querySelector(key);
    if (again && !again.disabled) again.focus();
    else {
      const row = key.match(/^\[data-poll-id="([^"]+)"\]/);
      focusIfLost(row ? document.querySelector(`${row[0]} [data-action="select"]`) : null);
      focusIfLost($("polls-heading"));
    }
  }
}

/** One poll: status, question, kind and answers, "On stage"; its open / close / reveal;
 *  when selected, its tools (and the edit form or the delete confirmation). */
function pollRow(poll, index, count, running) {
  const id = poll.id;
  const total = poll.results ? poll.results.total : 0;
  const questionId = `poll-question-${id}`;
  const selected = ctx.isSelected(POLL.type, id);
  const onStage = ctx.isCurrent(POLL.type, id) && !ctx.ended;
  const row = el(
    "li",
    {
      class: "poll-row" + (selected ? " selected" : "") + (onStage ? " on-stage" : ""),
      dataset: { pollId: id, status: poll.status, revealed: String(Boolean(poll.revealed)) },
      draggable: running && !ctx.ended ? "true" : null,
    },
    el(
      "div",
      { class: "poll-line" },
      running && !ctx.ended ? el("span", { class: "drag-handle", "aria-hidden": "true", title: "Drag to reorder" }, "⠿") : null,
      el(
        "button",
        {
          type: "button",
          class: "poll-select",
          dataset: { action: "select" },
          title: "Show on the stage card",
          // Which poll the stage shows: said, not only coloured.
          "aria-current": selected ? "true" : null,
        },
        el("span", { class: `status status-${poll.status}`, text: statusText(poll) }),
        el("span", { id: questionId, class: "poll-question", dir: "auto", text: poll.question }),
        el(
          "span",
          { class: "poll-meta" },
          onStage ? el("span", { class: "on-stage-badge" }, "On stage") : null,
          onStage ? " " : null,
          `${kindLabel(poll)}${poll.kind === "wordcloud" && poll.max_words > 1 ? ` (${poll.max_words} words)` : ""} · `,
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
        // Results of a poll nobody could answer yet: nothing to reveal.
        actionButton("reveal", poll.revealed ? "Revealed" : "Reveal", Boolean(poll.revealed) || poll.status === "draft", questionId),
      ),
    ),
  );
  if (selected) row.append(pollTools(poll, index, count, running, questionId));
  if (editing && editing.id === id) row.append(editForm(poll));
  if (confirming === id) row.append(deleteConfirmation(poll, questionId));
  return row;
}

/** A row's button, described by its poll's question (the same label on every row). */
function actionButton(action, label, disabled, describedBy, extra = {}) {
  return el(
    "button",
    {
      type: "button",
      class: "button small-button",
      dataset: { action },
      disabled: disabled || ctx.ended,
      "aria-describedby": describedBy,
      ...extra,
    },
    label,
  );
}

function pollTools(poll, index, count, running, questionId) {
  const draft = poll.status === "draft";
  const open = poll.status === "open";
  return el(
    "div",
    { class: "poll-tools" },
    actionButton("edit", "Edit", !draft, questionId, { "aria-expanded": String(Boolean(editing && editing.id === poll.id)) }),
    actionButton("duplicate", "Duplicate", false, questionId),
    actionButton("delete", "Delete…", open, questionId),
    running ? actionButton("up", "Move up", index === 0, questionId) : null,
    running ? actionButton("down", "Move down", index === count - 1, questionId) : null,
    draft
      ? null
      : el(
          "span",
          { class: "muted small poll-tools-note" },
          open
            ? "An open poll cannot be edited or deleted: close it first."
            : "A poll that was opened cannot be edited: duplicate it to change it.",
        ),
  );
}

function editForm(poll) {
  const questionId = `poll-question-${poll.id}`;
  const form = el(
    "form",
    { class: "poll-edit-form", novalidate: true, dataset: { pollId: poll.id }, "aria-label": "Edit the draft" },
    ...definitionFields("edit", editing),
    el(
      "span",
      { class: "poll-edit-actions" },
      el("button", { type: "submit", id: "poll-edit-save", class: "button small-button primary", "aria-describedby": questionId }, "Save"),
      el("button", { type: "button", id: "poll-edit-cancel", class: "button small-button", dataset: { action: "cancel" } }, "Cancel"),
    ),
    el("p", { id: "poll-edit-error", class: "error", role: "alert", hidden: !editing.error }, editing.error || ""),
  );
  return form;
}

function deleteConfirmation(poll, questionId) {
  const total = poll.results ? poll.results.total : 0;
  const answers =
    total === 0
      ? "It has no answers yet."
      : `Its ${total} ${total === 1 ? "answer is" : "answers are"} deleted with it, also from the export.`;
  return el(
    "div",
    { class: "poll-confirm", role: "group", "aria-label": "Confirm the deletion" },
    el("p", {}, "Delete “", el("bdi", {}, poll.question), `”? ${answers} This cannot be undone.`),
    el(
      "span",
      { class: "poll-edit-actions" },
      actionButton("confirm-delete", "Delete poll", false, questionId, { class: "button small-button danger" }),
      actionButton("cancel", "Cancel", false, questionId),
    ),
  );
}

function focusRowControl(id, action) {
  const node = document.querySelector(`[data-poll-id="${CSS.escape(id)}"] [data-action="${action}"]`);
  if (node && !node.disabled) node.focus();
  else focusIfLost(document.querySelector(`[data-poll-id="${CSS.escape(id)}"] [data-action="select"]`));
}

async function onPollsClick(evt) {
  const button = evt.target.closest("button[data-action]");
  const row = evt.target.closest("[data-poll-id]");
  if (!button || !row || button.type === "submit") return;
  const id = row.dataset.pollId;
  const poll = polls.get(id);
  const action = button.dataset.action;
  if (action === "select") {
    ctx.select(POLL.type, id);
    ctx.render();
  } else if (action === "edit" && poll) {
    if (editing && editing.id === id) {
      editing = null;
      ctx.render();
      return;
    }
    editing = {
      id,
      question: poll.question,
      kind: poll.kind,
      options: (poll.options || []).map((o) => o.label).join("\n"),
      scale: poll.scale || 5,
      maxWords: poll.max_words || DEFAULT_MAX_WORDS,
      error: "",
    };
    confirming = null;
    ctx.render();
    syncKindFields("edit");
    $("poll-edit-question").focus();
  } else if (action === "cancel") {
    const wasEditing = Boolean(editing && editing.id === id);
    editing = null;
    confirming = null;
    ctx.render();
    focusRowControl(id, wasEditing ? "edit" : "delete");
  } else if (action === "delete") {
    confirming = id;
    editing = null;
    ctx.render();
    focusRowControl(id, "confirm-delete");
  } else if (action === "confirm-delete") {
    await deletePoll(id);
  } else if (action === "duplicate") {
    await duplicatePoll(id);
  } else if (action === "up" || action === "down") {
    await move(id, action === "up" ? -1 : 1, action);
  } else {
    act(action, id);
  }
}

/** Alt+Arrow up / down on a row moves its poll in the running order. */
function onPollsKey(evt) {
  if (!evt.altKey || (evt.key !== "ArrowUp" && evt.key !== "ArrowDown")) return;
  const row = evt.target.closest("[data-poll-id]");
  if (!row || evt.target.closest("form") || view !== "running" || ctx.ended) return;
  evt.preventDefault();
  const action = evt.target.dataset && evt.target.dataset.action ? evt.target.dataset.action : "select";
  move(row.dataset.pollId, evt.key === "ArrowUp" ? -1 : 1, action);
}

/** Move a poll one place up or down; the focus stays on `action`'s control of its row. */
async function move(id, step, action) {
  const from = order.indexOf(id);
  const to = from + step;
  if (from < 0 || to < 0 || to >= order.length) return;
  const next = order.slice();
  [next[from], next[to]] = [next[to], next[from]];
  await reorder(next, id, action);
}

/** Send a new running order (shown at once, put back if the server refuses it). */
async function reorder(next, movedId, action = "select") {
  const before = order;
  order = next;
  ctx.render();
  focusRowControl(movedId, action);
  const ack = await ctx.call("poll:reorder", { order: next });
  if (!ack.ok) {
    order = before;
    ctx.toast(`Could not move the poll: ${staffErrorText(ack.error)}`);
    ctx.render();
    ctx.refresh();
    return;
  }
  if (Array.isArray(ack.order)) order = ack.order.filter((id) => polls.has(id));
  ctx.render();
  const poll = polls.get(movedId);
  if (poll) announce(`Moved “${poll.question}” to position ${order.indexOf(movedId) + 1} of ${order.length}.`);
}

async function duplicatePoll(id) {
  const ack = await ctx.call("poll:duplicate", { poll_id: id });
  if (!ack.ok) {
    ctx.toast(`Could not duplicate the poll: ${staffErrorText(ack.error)}`);
    return;
  }
  upsert(ack.poll, null, false);
  // Right after the original (poll:order says so too).
  order = order.filter((other) => other !== ack.poll.id);
  order.splice(order.indexOf(id) + 1, 0, ack.poll.id);
  ctx.select(POLL.type, ack.poll.id);
  confirming = null;
  ctx.render();
  focusRowControl(ack.poll.id, "select");
  announce(`Duplicated: “${ack.poll.question}”, a new draft, is selected.`);
}

async function deletePoll(id) {
  const poll = polls.get(id);
  const ack = await ctx.call("poll:delete", { poll_id: id });
  confirming = null;
  if (!ack.ok) {
    ctx.toast(`Could not delete the poll: ${staffErrorText(ack.error)}`);
    ctx.render();
    return;
  }
  forgetPoll(id);
  ctx.render();
  focusIfLost(document.querySelector('#polls [aria-current="true"]'));
  focusIfLost($("polls-heading"));
  if (poll) announce(`Deleted “${poll.question}”.`);
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

// -- editing a draft ------------------------------------------------------------------------
/** What is typed in the edit form survives the list being drawn again. */
function onEditInput(evt) {
  if (!editing || !evt.target.closest(".poll-edit-form")) return;
  const fields = {
    "poll-edit-question": "question",
    "poll-edit-kind": "kind",
    "poll-edit-options": "options",
    "poll-edit-scale": "scale",
    "poll-edit-words": "maxWords",
  };
  const name = fields[evt.target.id];
  if (name) editing[name] = evt.target.value;
  if (name === "kind") syncKindFields("edit");
}

async function onEditSubmit(evt) {
  const form = evt.target.closest(".poll-edit-form");
  if (!form || !editing) return;
  evt.preventDefault();
  const draft = editing;
  const showError = (text) => {
    draft.error = text;
    const node = $("poll-edit-error");
    node.hidden = !text;
    setText(node, text);
  };
  const read = readDefinition("edit");
  if (read.error) {
    showError(read.error);
    if (read.focus) $(read.focus).focus();
    return;
  }
  $("poll-edit-save").disabled = true;
  const ack = await ctx.call("poll:update", { poll_id: draft.id, changes: read.payload });
  if (!ack.ok) {
    if ($("poll-edit-save")) $("poll-edit-save").disabled = false;
    showError(staffErrorText(ack.error));
    return;
  }
  editing = null;
  upsert(ack.poll, null, false);
  ctx.render();
  focusRowControl(draft.id, "edit");
  announce("Draft saved.");
}

// -- dragging a row -------------------------------------------------------------------------
function dropTarget(evt) {
  const row = evt.target.closest && evt.target.closest("#polls [data-poll-id]");
  if (!row || !dragged || row.dataset.pollId === dragged) return null;
  const box = row.getBoundingClientRect();
  return { row, after: evt.clientY > box.top + box.height / 2 };
}

function clearDropMarks() {
  for (const node of document.querySelectorAll("#polls .drop-before, #polls .drop-after")) {
    node.classList.remove("drop-before", "drop-after");
  }
}

function onDragStart(evt) {
  const row = evt.target.closest && evt.target.closest("[data-poll-id]");
  if (!row || view !== "running" || ctx.ended || evt.target.closest("form")) {
    evt.preventDefault();
    return;
  }
  dragged = row.dataset.pollId;
  row.classList.add("dragging");
  evt.dataTransfer.effectAllowed = "move";
  evt.dataTransfer.setData("text/plain", dragged);
}

function onDragOver(evt) {
  const target = dropTarget(evt);
  if (!target) return;
  evt.preventDefault();
  evt.dataTransfer.dropEffect = "move";
  clearDropMarks();
  target.row.classList.add(target.after ? "drop-after" : "drop-before");
}

function onDragLeave(evt) {
  if (!evt.relatedTarget || !evt.currentTarget.contains(evt.relatedTarget)) clearDropMarks();
}

async function onDrop(evt) {
  const target = dropTarget(evt);
  clearDropMarks();
  if (!target) return;
  evt.preventDefault();
  const moved = dragged;
  dragged = null;
  const next = order.filter((id) => id !== moved);
  const at = next.indexOf(target.row.dataset.pollId) + (target.after ? 1 : 0);
  next.splice(at, 0, moved);
  if (next.every((id, i) => id === order[i])) return;
  await reorder(next, moved);
}

function onDragEnd() {
  dragged = null;
  clearDropMarks();
  for (const node of document.querySelectorAll("#polls .dragging")) node.classList.remove("dragging");
}

// -- the "New poll" form ------------------------------------------------------------------
async function onCreate(evt) {
  evt.preventDefault();
  const error = $("create-error");
  const showError = (text) => {
    error.hidden = !text;
    setText(error, text || "");
  };
  const read = readDefinition("create");
  if (read.error) {
    showError(read.error);
    return;
  }
  showError("");
  const button = $("create-button");
  button.disabled = true;
  setText(button, "Creating…");
  const ack = await ctx.call("poll:create", read.payload);
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
      "poll:updated": onUpdated,
      "poll:deleted": onDeleted,
      "poll:order": onOrder,
    },
  },
});
