// Reactions in the presenter console: the room's emoji set, and what the audience is
// tapping (the last window's counts and the totals since the console opened).

import { $, el, setText } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";
import { registerKind } from "../../core/kinds.js";
import { DEFAULT_EMOJIS, REACTIONS } from "./model.js";

let ctx = null;
let emojis = DEFAULT_EMOJIS;
const totals = {};

function mount(shell) {
  ctx = shell;
  const form = el(
    "form",
    { id: "reactions-form", novalidate: true },
    el("label", { for: "reactions-emojis" }, "Emoji set ", el("span", { class: "optional" }, "(separated by spaces, 1 to 8)")),
    el("input", { id: "reactions-emojis", autocomplete: "off" }),
    el("button", { id: "reactions-save", type: "submit", class: "button" }, "Save emoji set"),
    el("p", { id: "reactions-error", class: "error", role: "alert", hidden: true }),
  );
  form.addEventListener("submit", onSave);
  ctx.side.append(
    el(
      "section",
      { id: "reactions-card", class: "card" },
      el("h2", {}, "Reactions"),
      el("p", { id: "reactions-live", class: "reaction-live" }, "No reactions yet."),
      form,
    ),
  );
}

async function onSave(evt) {
  evt.preventDefault();
  const chosen = $("reactions-emojis").value.split(/\s+/).filter(Boolean);
  const ack = await ctx.call("reactions:settings", { emojis: chosen });
  const error = $("reactions-error");
  error.hidden = ack.ok;
  if (!ack.ok) {
    error.textContent = staffErrorText(ack.error);
    return;
  }
  emojis = ack.emojis;
  render();
}

function render() {
  if (!ctx) return;
  if (document.activeElement !== $("reactions-emojis")) $("reactions-emojis").value = emojis.join(" ");
  $("reactions-save").disabled = ctx.ended;
  const parts = Object.entries(totals).map(([e, n]) => `${e} ${n}`);
  setText("reactions-live", parts.length ? `Since you opened the console: ${parts.join("  ")}` : "No reactions yet.");
}

registerKind({
  ...REACTIONS,
  presenter: {
    mount,
    applyState(msg) {
      emojis = (msg.reactions && msg.reactions.emojis) || DEFAULT_EMOJIS;
    },
    render,
    items: () => [],
    item: () => null,
    messages: {
      reactions: (msg) => {
        for (const [e, n] of Object.entries(msg.counts || {})) totals[e] = (totals[e] || 0) + n;
        render();
      },
      "reactions:settings": (msg) => {
        emojis = msg.emojis || emojis;
        render();
      },
    },
  },
});
