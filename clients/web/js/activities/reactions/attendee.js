// The reaction bar on the attendee page: one button per emoji of the room's set. A tap
// is sent without waiting for anything (no ack): the server adds taps up per window and
// drops those over the attendee's limit without a word.

import { $, el } from "../../core/dom.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { DEFAULT_EMOJIS, REACTIONS } from "./model.js";

let ctx = null;
let emojis = DEFAULT_EMOJIS;

function mount(shell) {
  ctx = shell;
  const bar = el("div", { id: "reaction-bar", class: "reaction-bar", role: "group", "aria-label": t("reactions.bar_label") });
  bar.addEventListener("click", (evt) => {
    const button = evt.target.closest("button[data-emoji]");
    if (!button || !ctx.socket || !ctx.socket.connected) return;
    ctx.socket.emit("reaction", { emoji: button.dataset.emoji });
    button.classList.remove("tapped");
    void button.offsetWidth; // restart the little press effect
    button.classList.add("tapped");
  });
  ctx.stage.append(
    el(
      "section",
      { id: "reactions", class: "card reactions-card", "aria-labelledby": "reactions-title" },
      el("h2", { id: "reactions-title", dataset: { i18n: "reactions.title" } }, t("reactions.title")),
      bar,
    ),
  );
  render();
}

function render() {
  const bar = $("reaction-bar");
  if (!bar) return;
  bar.setAttribute("aria-label", t("reactions.bar_label"));
  bar.replaceChildren(
    ...emojis.map((emoji) =>
      el("button", { type: "button", class: "reaction-button", dataset: { emoji }, "aria-label": t("reactions.send", { emoji }) }, emoji),
    ),
  );
}

registerKind({
  ...REACTIONS,
  attendee: {
    mount,
    applyState(msg) {
      emojis = (msg.reactions && msg.reactions.emojis) || DEFAULT_EMOJIS;
      render();
    },
    localeChanged: render,
    messages: {
      "reactions:settings": (msg) => {
        emojis = msg.emojis || emojis;
        render();
      },
    },
  },
});
