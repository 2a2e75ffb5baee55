// The reaction overlay on the big screen: each `reactions` message (one per window at
// most) lets float up a number of emoji in proportion to its counts, capped so that a
// flood stays readable. Under prefers-reduced-motion nothing moves: a quiet tally of
// the last minute's reactions is shown instead.

import { $, el } from "../../core/dom.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { REACTIONS } from "./model.js";

const MAX_FLOATING = 40; // emoji on screen at once
const PER_MESSAGE = 12; // emoji one message may add
const TALLY_MS = 60_000;

let floating = 0;
let recent = []; // [{at, counts}] for the reduced-motion tally
const reducedMotion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;

function mount(ctx) {
  document.body.append(el("div", { id: "reaction-overlay", class: "reaction-overlay", "aria-hidden": "true" }));
  ctx.stage.append(el("p", { id: "reaction-tally", class: "reaction-tally", hidden: true, "aria-live": "off" }));
}

function show(msg) {
  const counts = (msg && msg.counts) || {};
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (!total) return;
  if (reducedMotion && reducedMotion.matches) {
    const now = Date.now();
    recent = recent.filter((r) => now - r.at < TALLY_MS).concat([{ at: now, counts }]);
    drawTally();
    return;
  }
  const overlay = $("reaction-overlay");
  const budget = Math.min(PER_MESSAGE, MAX_FLOATING - floating);
  for (const [emoji, n] of Object.entries(counts)) {
    // In proportion to the counts, at least one for any emoji that was tapped.
    const count = Math.max(1, Math.round((n / total) * Math.min(budget, total)));
    for (let i = 0; i < count && floating < MAX_FLOATING; i += 1) {
      const span = el("span", { class: "floating-emoji" }, emoji);
      span.style.left = `${5 + Math.random() * 90}%`;
      span.style.animationDelay = `${Math.random() * 0.4}s`;
      span.addEventListener("animationend", () => {
        span.remove();
        floating -= 1;
      });
      floating += 1;
      overlay.append(span);
    }
  }
}

function drawTally() {
  const sums = {};
  for (const r of recent) for (const [e, n] of Object.entries(r.counts)) sums[e] = (sums[e] || 0) + n;
  const node = $("reaction-tally");
  const parts = Object.entries(sums).map(([e, n]) => `${e} ${n}`);
  node.hidden = parts.length === 0;
  node.textContent = parts.length ? `${t("reactions.tally")} ${parts.join("  ")}` : "";
}

registerKind({
  ...REACTIONS,
  screen: {
    mount,
    applyState: () => {},
    ended: () => {
      $("reaction-overlay").replaceChildren();
      floating = 0;
    },
    localeChanged: () => recent.length && drawTally(),
    messages: { reactions: show },
  },
});
