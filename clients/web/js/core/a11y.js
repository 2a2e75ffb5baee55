// Accessibility helpers every page and every activity kind uses (WCAG 2.1 AA, see
// clients/web/README.md): telling screen readers what changed on its own (a new poll, a
// quiz question, a table assignment), keeping the keyboard focus somewhere useful when
// the element that had it disappears, and isolating what people typed so that an Arabic
// or Hebrew name reads right next to left-to-right text.

import { el } from "./dom.js";

let region = null;
let timer = null;

/** The page's polite live region (created on first use, inside <main>). */
function liveRegion() {
  if (region && region.isConnected) return region;
  region = el("div", { id: "announcer", class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
  (document.querySelector("main") || document.body).append(region);
  return region;
}

/**
 * Say `text` to screen readers without moving the focus ("New poll: ..."). Call it for
 * what appears by itself, not for the answer to something the person just did (that has
 * its own role="status" element next to it).
 */
export function announce(text) {
  const node = liveRegion();
  clearTimeout(timer);
  // Emptied first and filled a moment later, so the same text twice is read twice.
  node.textContent = "";
  timer = setTimeout(() => {
    node.textContent = text;
  }, 120);
}

/** True when the keyboard focus is nowhere useful: on <body>, or on an element that is
 *  hidden or gone (the join button once the join view is hidden). */
export function focusLost() {
  const active = document.activeElement;
  if (!active || active === document.body || active === document.documentElement) return true;
  return !active.isConnected || active.closest("[hidden]") !== null || active.getClientRects().length === 0;
}

/** Move the focus to `node` (a heading with tabindex="-1") if it was lost, so that the
 *  next Tab goes on from there and not from the top of the page. */
export function focusIfLost(node) {
  if (node && focusLost()) node.focus({ preventScroll: false });
}

/**
 * What a person typed, isolated for the bidirectional algorithm: a <bdi> (direction from
 * its own text) to put inside a sentence, e.g. with tParts(). Use `dir="auto"` on
 * elements that hold only such text (a list item, a bar label, a heading).
 */
export function userText(text) {
  return el("bdi", {}, text === null || text === undefined ? "" : String(text));
}
