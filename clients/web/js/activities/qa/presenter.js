// Q&A in the presenter console: the room's settings (anonymous questions, moderation),
// the moderation queue (approve, dismiss), the questions sorted by votes with
// highlight, answered, archive, and a reply / correction form. Q&A never takes the
// stage, so it has no items for the stage card.

import { $, el, setText } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";
import { registerKind } from "../../core/kinds.js";
import { QA, QABoard } from "./model.js";

let ctx = null;
const board = new QABoard();
let editing = null; // the id of the question in the reply / correction form

function checkbox(id, label) {
  const input = el("input", { id, type: "checkbox" });
  input.addEventListener("change", onSettings);
  return el("label", { class: "check", for: id }, input, ` ${label}`);
}

function mount(shell) {
  ctx = shell;
  const queue = el("ol", { id: "qa-queue", class: "qa-list" });
  const list = el("ol", { id: "qa-questions", class: "qa-list" });
  for (const node of [queue, list]) node.addEventListener("click", onAction);
  const form = el(
    "form",
    { id: "qa-edit-form", novalidate: true, hidden: true },
    el("p", { id: "qa-edit-question", class: "small muted", dir: "auto" }),
    el("label", { for: "qa-edit-text" }, "Reply or corrected text"),
    el("textarea", { id: "qa-edit-text", rows: 2, dir: "auto", maxlength: 1000 }),
    el("button", { id: "qa-reply-button", type: "submit", class: "button primary", value: "reply" }, "Save reply"),
    el("button", { id: "qa-fix-button", type: "button", class: "button" }, "Save as corrected text"),
    el("button", { id: "qa-edit-cancel", type: "button", class: "button" }, "Cancel"),
  );
  form.addEventListener("submit", (evt) => {
    evt.preventDefault();
    saveText("qa:reply");
  });
  form.querySelector("#qa-fix-button").addEventListener("click", () => saveText("qa:edit"));
  form.querySelector("#qa-edit-cancel").addEventListener("click", closeForm);
  ctx.main.append(
    el(
      "section",
      { id: "qa-card", class: "card qa-card" },
      el("h2", {}, "Q&A"),
      el("div", { class: "qa-settings" }, checkbox("qa-allow-anonymous", "Allow anonymous questions"), checkbox("qa-moderation", "Moderate new questions")),
      el("h3", { id: "qa-queue-title" }, "Waiting for approval"),
      el("p", { id: "qa-queue-empty", class: "muted" }, "No questions waiting."),
      queue,
      el("h3", {}, "Questions, most votes first"),
      el("p", { id: "qa-highlighted", class: "small" }),
      el("p", { id: "qa-questions-empty", class: "muted" }, "No questions yet."),
      list,
      form,
      el("p", { id: "qa-error", class: "error", role: "alert", hidden: true }),
    ),
  );
}

async function onSettings() {
  const ack = await ctx.call("qa:settings", {
    anonymous: $("qa-allow-anonymous").checked,
    moderation: $("qa-moderation").checked,
  });
  if (ack.ok) board.settings = ack.settings;
  else showError(ack.error);
  render();
}

async function onAction(evt) {
  const button = evt.target.closest("button[data-action]");
  if (!button) return;
  const id = button.dataset.id;
  const action = button.dataset.action;
  if (action === "reply") {
    openForm(id);
    return;
  }
  let ack;
  if (action === "highlight") ack = await ctx.call("qa:highlight", { question_id: id });
  else if (action === "unhighlight") ack = await ctx.call("qa:highlight", { question_id: null });
  else ack = await ctx.call("qa:moderate", { question_id: id, action });
  if (!ack.ok) return showError(ack.error);
  if (ack.question) board.upsert([ack.question]);
  if (action === "highlight") board.highlighted = ack.question;
  if (action === "unhighlight") board.highlighted = null;
  render();
}

function openForm(id) {
  const q = board.questions.get(id);
  if (!q) return;
  editing = id;
  setText("qa-edit-question", q.text);
  $("qa-edit-text").value = q.reply || "";
  $("qa-edit-form").hidden = false;
  $("qa-edit-text").focus();
}

function closeForm() {
  editing = null;
  $("qa-edit-form").hidden = true;
}

async function saveText(message) {
  if (!editing) return;
  const ack = await ctx.call(message, { question_id: editing, text: $("qa-edit-text").value });
  if (!ack.ok) return showError(ack.error);
  board.upsert([ack.question]);
  closeForm();
  render();
}

function showError(error) {
  const node = $("qa-error");
  node.textContent = staffErrorText(error);
  node.hidden = false;
  setTimeout(() => (node.hidden = true), 5000);
}

function button(id, action, label, text) {
  return el("button", { type: "button", class: "button small-button", dataset: { id, action }, "aria-label": `${label}: ${text}` }, label);
}

function item(q, actions) {
  const author = q.anonymous ? "anonymous" : q.author;
  const meta = [`${board.votesOf(q.id)} votes`, author, q.status, q.edited ? "edited" : ""].filter(Boolean);
  return el(
    "li",
    { class: "qa-item", dataset: { id: q.id, status: q.status } },
    el("p", { class: "qa-text", dir: "auto" }, q.text),
    el("p", { class: "small muted" }, meta.join(" · ")),
    q.reply ? el("p", { class: "qa-reply" }, "Reply: ", el("span", { dir: "auto" }, q.reply)) : "",
    el("div", { class: "qa-actions" }, ...actions.map(([action, label]) => button(q.id, action, label, q.text))),
  );
}

function render() {
  if (!ctx) return;
  $("qa-allow-anonymous").checked = board.settings.anonymous;
  $("qa-moderation").checked = board.settings.moderation;
  const disabled = ctx.ended;
  const pending = board.sorted((q) => q.status === "pending", true).reverse();
  $("qa-queue").replaceChildren(...pending.map((q) => item(q, [["approve", "Approve"], ["dismiss", "Dismiss"]])));
  $("qa-queue-empty").hidden = pending.length > 0;
  const listed = board.sorted((q) => q.status === "approved" || q.status === "answered");
  const highlighted = board.highlighted && board.highlighted.id;
  $("qa-questions").replaceChildren(
    ...listed.map((q) => {
      const actions = [highlighted === q.id ? ["unhighlight", "Remove highlight"] : ["highlight", "Highlight"]];
      if (q.status === "approved") actions.push(["answer", "Answered"]);
      actions.push(["reply", "Reply or correct"], ["archive", "Archive"]);
      return item(q, actions);
    }),
  );
  $("qa-questions-empty").hidden = listed.length > 0;
  setText("qa-highlighted", board.highlighted ? `On the big screen: ${board.highlighted.text}` : "Nothing highlighted.");
  for (const node of document.querySelectorAll("#qa-card button, #qa-card input")) node.disabled = disabled;
}

registerKind({
  ...QA,
  presenter: {
    mount,
    applyState(msg) {
      board.applyState(msg.qa);
    },
    render,
    items: () => [],
    item: () => null,
    messages: {
      "qa:questions": (msg) => {
        board.upsert(msg.questions);
        render();
      },
      "qa:votes": (msg) => {
        if (board.applyVotes(msg)) render();
      },
      "qa:highlight": (msg) => {
        board.highlighted = msg.question;
        render();
      },
      "qa:settings": (msg) => {
        board.settings = msg.settings || board.settings;
        render();
      },
    },
  },
});
