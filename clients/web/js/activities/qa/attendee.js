// Q&A on the attendee page, beside whatever is on stage: ask (named or anonymous, as the
// room allows), the room's questions sorted by votes or by time with an upvote toggle
// each, and "my questions" with their status (waiting, dismissed...).

import { announce } from "../../core/a11y.js";
import { call } from "../../core/connection.js";
import { $, el, setText } from "../../core/dom.js";
import { errorText } from "../../core/errors.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { PUBLIC, QA, QABoard, newAskId } from "./model.js";

const STATUS_KEYS = {
  pending: "qa.status_pending",
  approved: "qa.status_approved",
  answered: "qa.status_answered",
  dismissed: "qa.status_dismissed",
  archived: "qa.status_archived",
};

let ctx = null;
const board = new QABoard();
let byTime = false;
let sending = null; // {text, anonymous, ask_id}: a question waiting for its ack

function mount(shell) {
  ctx = shell;
  const form = el(
    "form",
    { id: "qa-form", novalidate: true },
    el("label", { for: "qa-text", dataset: { i18n: "qa.ask_label" } }, t("qa.ask_label")),
    el("textarea", { id: "qa-text", rows: 2, maxlength: 300, dir: "auto" }),
    el(
      "label",
      { id: "qa-anonymous-field", class: "check" },
      el("input", { id: "qa-anonymous", type: "checkbox" }),
      el("span", { dataset: { i18n: "qa.anonymous" } }, t("qa.anonymous")),
    ),
    el("button", { id: "qa-send", type: "submit", class: "button primary", dataset: { i18n: "qa.send" } }, t("qa.send")),
    el("p", { id: "qa-status", class: "answer-status", role: "status" }),
  );
  form.addEventListener("submit", onAsk);
  const sortTop = el("button", { id: "qa-sort-top", type: "button", class: "button small-button", "aria-pressed": "true", dataset: { i18n: "qa.sort_top" } }, t("qa.sort_top"));
  const sortNew = el("button", { id: "qa-sort-recent", type: "button", class: "button small-button", "aria-pressed": "false", dataset: { i18n: "qa.sort_recent" } }, t("qa.sort_recent"));
  sortTop.addEventListener("click", () => setSort(false));
  sortNew.addEventListener("click", () => setSort(true));
  const list = el("ol", { id: "qa-list", class: "qa-list" });
  list.addEventListener("click", onListClick);
  ctx.stage.append(
    el(
      "section",
      { id: "qa", class: "card qa-card", "aria-labelledby": "qa-title" },
      el("h2", { id: "qa-title", dataset: { i18n: "qa.title" } }, t("qa.title")),
      form,
      el("div", { class: "qa-sort", role: "group", "aria-label": t("qa.sort_label"), id: "qa-sort" }, sortTop, sortNew),
      el("p", { id: "qa-empty", class: "muted", dataset: { i18n: "qa.empty" } }, t("qa.empty")),
      list,
      el("h3", { id: "qa-mine-title", dataset: { i18n: "qa.mine_title" }, hidden: true }, t("qa.mine_title")),
      el("ul", { id: "qa-mine", class: "qa-mine" }),
    ),
  );
}

function setSort(time) {
  byTime = time;
  $("qa-sort-top").setAttribute("aria-pressed", String(!time));
  $("qa-sort-recent").setAttribute("aria-pressed", String(time));
  render();
}

async function onAsk(evt) {
  evt.preventDefault();
  const text = $("qa-text").value.trim();
  if (!text) {
    setText("qa-status", t("qa.empty_question"));
    return;
  }
  sending = sending && sending.text === text ? sending : { text, anonymous: $("qa-anonymous").checked, ask_id: newAskId() };
  await send();
}

async function send() {
  if (!sending) return;
  const pending = sending;
  $("qa-send").disabled = true;
  const ack = await call(ctx.socket, "qa:ask", pending);
  $("qa-send").disabled = false;
  if (ack.ok) {
    sending = null;
    $("qa-text").value = "";
    board.upsert([{ ...ack.question, mine: true }]);
    setText("qa-status", t(ack.question.status === "pending" ? "qa.sent_pending" : "qa.sent"));
    render();
    return;
  }
  // Kept for a retry with the same ask_id (offline, timeout): never asked twice.
  if (!["offline", "timeout", "unavailable"].includes(ack.error.code)) sending = null;
  setText("qa-status", errorText(ack.error));
}

async function onListClick(evt) {
  const button = evt.target.closest("button[data-upvote]");
  if (!button) return;
  const id = button.dataset.upvote;
  const up = !board.voted.has(id);
  const ack = await call(ctx.socket, "qa:upvote", { question_id: id, up });
  if (!ack.ok) {
    setText("qa-status", errorText(ack.error));
    return;
  }
  if (up) board.voted.add(id);
  else board.voted.delete(id);
  board.votes[id] = ack.votes;
  render();
}

function questionItem(q) {
  const votes = board.votesOf(q.id);
  const voted = board.voted.has(q.id);
  const parts = [
    el("p", { class: "qa-text", dir: "auto" }, q.text),
    el(
      "p",
      { class: "qa-meta small muted" },
      q.author ? el("span", { dir: "auto" }, q.author) : t("qa.anonymous_author"),
      q.edited ? ` · ${t("qa.edited")}` : "",
      q.status === "answered" ? ` · ${t(STATUS_KEYS.answered)}` : "",
    ),
  ];
  if (q.reply) parts.push(el("p", { class: "qa-reply" }, `${t("qa.reply")} `, el("span", { dir: "auto" }, q.reply)));
  const item = el("li", { class: "qa-item", dataset: { id: q.id, status: q.status } }, ...parts);
  if (q.status === "approved") {
    item.append(
      el(
        "button",
        {
          type: "button",
          class: "button upvote",
          "aria-pressed": String(voted),
          dataset: { upvote: q.id },
        },
        // The visible count is part of the button's name (WCAG 2.5.3), the arrow is not.
        el("span", { "aria-hidden": "true" }, "▲ "),
        String(votes),
        el("span", { class: "visually-hidden" }, ` ${t("qa.upvote", { count: votes })}`),
      ),
    );
  } else {
    item.append(el("span", { class: "qa-votes" }, t("qa.votes", { count: votes })));
  }
  return item;
}

function render() {
  if (!ctx) return;
  const shown = board.sorted((q) => PUBLIC.has(q.status), byTime);
  $("qa-list").replaceChildren(...shown.map(questionItem));
  $("qa-empty").hidden = shown.length > 0;
  const mine = board.sorted((q) => q.mine, true);
  $("qa-mine").replaceChildren(
    ...mine.map((q) =>
      el("li", { class: "qa-mine-item", dataset: { id: q.id, status: q.status } },
        el("span", { dir: "auto" }, q.text), " — ", el("strong", {}, t(STATUS_KEYS[q.status] || "qa.status_pending"))),
    ),
  );
  $("qa-mine-title").hidden = mine.length === 0;
  $("qa-anonymous-field").hidden = !board.settings.anonymous;
  if (!board.settings.anonymous) $("qa-anonymous").checked = false;
}

registerKind({
  ...QA,
  attendee: {
    mount,
    applyState(msg) {
      board.applyState(msg.qa);
      render();
      send();
    },
    forget: () => {
      board.reset();
      sending = null;
      render();
    },
    localeChanged: render,
    messages: {
      "qa:questions": (msg) => {
        const fresh = (msg.questions || []).filter((q) => !board.questions.has(q.id));
        board.upsert(msg.questions);
        board.remove(msg.removed);
        if (fresh.length) announce(t("qa.new_questions", { count: fresh.length }));
        render();
      },
      "qa:mine": (msg) => {
        board.upsert((msg.questions || []).map((q) => ({ ...q, mine: true })));
        render();
      },
      "qa:votes": (msg) => {
        if (board.applyVotes(msg)) render();
      },
      "qa:settings": (msg) => {
        board.settings = msg.settings || board.settings;
        render();
      },
    },
  },
});
