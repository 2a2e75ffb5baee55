// Q&A on the big screen: the question the presenter highlights, with its votes and any
// reply, shown beside whatever is on stage. An anonymous question is shown without a
// name (the server never sends one).

import { $, el, setText } from "../../core/dom.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { QA } from "./model.js";

let ctx = null;
let shown = null; // the highlighted question, or null
let votes = null; // the latest qa:votes

function mount(shell) {
  ctx = shell;
  ctx.stage.append(
    el(
      "section",
      { id: "screen-qa", class: "screen-qa", hidden: true, "aria-labelledby": "screen-qa-label" },
      el("p", { id: "screen-qa-label", class: "screen-status", dataset: { i18n: "qa.screen_label" } }, t("qa.screen_label")),
      el("p", { id: "screen-qa-text", class: "screen-qa-text", dir: "auto" }),
      el("p", { id: "screen-qa-meta", class: "screen-qa-meta" }),
      el("p", { id: "screen-qa-reply", class: "screen-qa-reply", dir: "auto", hidden: true }),
    ),
  );
}

function render() {
  const section = $("screen-qa");
  if (!section) return;
  section.hidden = !shown;
  if (!shown) return;
  section.dataset.id = shown.id;
  setText("screen-qa-text", shown.text);
  const count = votes && shown.id in votes.votes ? votes.votes[shown.id] : votes ? 0 : shown.votes;
  const who = shown.author ? `${shown.author} · ` : `${t("qa.anonymous_author")} · `;
  setText("screen-qa-meta", who + t("qa.votes", { count }));
  $("screen-qa-reply").hidden = !shown.reply;
  setText("screen-qa-reply", shown.reply ? `${t("qa.reply")} ${shown.reply}` : "");
}

registerKind({
  ...QA,
  screen: {
    mount,
    applyState(msg) {
      shown = (msg.qa && msg.qa.highlighted) || null;
      votes = msg.qa ? { version: msg.qa.version, votes: Object.fromEntries((msg.qa.questions || []).map((q) => [q.id, q.votes])) } : null;
      render();
    },
    localeChanged: render,
    ended: () => {
      shown = null;
      render();
    },
    messages: {
      "qa:highlight": (msg) => {
        shown = msg.question || null;
        render();
      },
      "qa:votes": (msg) => {
        if (votes && msg.version <= votes.version) return;
        votes = msg;
        render();
      },
      "qa:questions": (msg) => {
        const fresh = shown && (msg.questions || []).find((q) => q.id === shown.id);
        if (fresh && (fresh.rev || 0) >= (shown.rev || 0)) {
          shown = fresh.status === "approved" || fresh.status === "answered" ? fresh : shown;
          render();
        }
      },
    },
  },
});
