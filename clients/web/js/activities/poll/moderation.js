// The presenter console's "Big screen and moderation" card, for the poll selected on the
// stage: the screen switch (`poll:screen`: live results on the big screen before the
// reveal), and for word clouds and open text the moderation settings (`poll:moderation`:
// approve before showing, the built-in profanity filter, the poll's own blocked words)
// and every answer with its status and Approve / Hide / Show (`poll:moderate`).
// It reads the polls the poll kind's console part keeps (js/activities/poll/presenter.js)
// and registers as a room feature beside the stage (`stage: false`), so that the shell
// hands it the console's context; it never takes the stage.

import { focusIfLost } from "../../core/a11y.js";
import { $, el, setText } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";
import { t } from "../../core/i18n.js";
import { kindOf, registerKind } from "../../core/kinds.js";
import { POLL, TEXT_KINDS } from "./model.js";

let ctx = null;
let busy = false; // a change is on its way: the boxes show what was asked until its answer
let shownFor = null; // the poll the card was drawn for (its words field is kept while typed in)
let focusEntry = null; // {entry, action}: the button pressed: the focus stays on its row

/** What can be done with an entry of each status. */
const ACTIONS = {
  pending: ["approve", "hide"],
  approved: ["hide"],
  hidden: ["show"],
  filtered: ["show"],
};
const ACTION_KEYS = { approve: "poll.mod_approve", hide: "poll.mod_hide", show: "poll.mod_show" };
const STATUS_KEYS = {
  approved: "poll.mod_status_approved",
  pending: "poll.mod_status_pending",
  hidden: "poll.mod_status_hidden",
  filtered: "poll.mod_status_filtered",
};

function checkbox(id, key) {
  return el(
    "label",
    { class: "check", for: id },
    el("input", { id, type: "checkbox" }),
    el("span", { dataset: { i18n: key } }, t(key)),
  );
}

function mount(shell) {
  ctx = shell;
  const card = el(
    "section",
    { id: "moderation-card", class: "card moderation-card", "aria-labelledby": "moderation-heading", hidden: true },
    el("h2", { id: "moderation-heading", dataset: { i18n: "poll.mod_title" } }, t("poll.mod_title")),
    checkbox("screen-live", "poll.mod_screen_live"),
    el("p", { class: "muted small", dataset: { i18n: "poll.mod_screen_help" } }, t("poll.mod_screen_help")),
    el(
      "div",
      { id: "moderation-settings", hidden: true },
      checkbox("moderation-pre", "poll.mod_pre"),
      checkbox("moderation-filter", "poll.mod_filter"),
      el(
        "form",
        { id: "blocked-form", class: "blocked-form", novalidate: true },
        el("label", { for: "blocked-words", dataset: { i18n: "poll.mod_words" } }, t("poll.mod_words")),
        el(
          "div",
          { class: "blocked-line" },
          el("input", { id: "blocked-words", autocomplete: "off", spellcheck: "false", dir: "auto" }),
          el("button", { id: "blocked-save", type: "submit", class: "button small-button", dataset: { i18n: "poll.mod_words_save" } }, t("poll.mod_words_save")),
        ),
      ),
      el("h3", { id: "moderation-entries-heading", dataset: { i18n: "poll.mod_entries" } }, t("poll.mod_entries")),
      el("p", { id: "moderation-summary", class: "small muted" }),
      el("ul", { id: "moderation-entries", class: "moderation-entries", "aria-labelledby": "moderation-entries-heading" }),
    ),
    el("p", { id: "moderation-error", class: "error", role: "alert", hidden: true }),
  );
  const stage = $("stage");
  if (stage) stage.after(card);
  else ctx.main.append(card);
  $("screen-live").addEventListener("change", onScreenLive);
  $("moderation-pre").addEventListener("change", () => sendSettings({ mode: $("moderation-pre").checked ? "pre" : "off" }));
  $("moderation-filter").addEventListener("change", () => sendSettings({ filter: $("moderation-filter").checked }));
  $("blocked-form").addEventListener("submit", (evt) => {
    evt.preventDefault();
    const words = $("blocked-words")
      .value.split(",")
      .map((w) => w.trim())
      .filter(Boolean);
    sendSettings({ blocked_words: words });
  });
  $("moderation-entries").addEventListener("click", onEntryClick);
}

/** The poll selected on the console's stage, as the poll kind keeps it, or null. */
function selectedPoll() {
  const polls = kindOf(POLL.type);
  if (!polls || !polls.presenter) return null;
  return polls.presenter.items().find((p) => ctx.isSelected(POLL.type, p.id)) || null;
}

// -- drawing ------------------------------------------------------------------------------
function render() {
  const poll = selectedPoll();
  const card = $("moderation-card");
  card.hidden = !poll;
  if (!poll) {
    shownFor = null;
    return;
  }
  card.dataset.poll = poll.id;
  // Controls stay enabled while a change is on its way (disabling them would drop the
  // focus); only an ended event disables them.
  const disabled = ctx.ended;
  const live = $("screen-live");
  // While a change is on its way the boxes show what was asked; then what the server says.
  if (!busy) live.checked = Boolean(poll.screen_live);
  live.disabled = disabled;
  const text = TEXT_KINDS.has(poll.kind);
  $("moderation-settings").hidden = !text;
  if (text) renderModeration(poll, disabled);
  shownFor = poll.id;
}

function renderModeration(poll, disabled) {
  if (!busy) {
    $("moderation-pre").checked = poll.moderation === "pre";
    $("moderation-filter").checked = Boolean(poll.filter);
  }
  for (const id of ["moderation-pre", "moderation-filter", "blocked-words", "blocked-save"]) $(id).disabled = disabled;
  const words = $("blocked-words");
  if (shownFor !== poll.id || document.activeElement !== words) {
    words.value = (poll.blocked_words || []).join(", ");
  }
  const results = poll.results || {};
  const counts = results.counts || {};
  const labels = results.labels || {};
  const statuses = results.statuses || {};
  const by = results.by_status || {};
  setText(
    "moderation-summary",
    t("poll.mod_summary", { pending: by.pending || 0, hidden: by.hidden || 0, filtered: by.filtered || 0 }),
  );
  // Keep the focus on the entry being decided on (its row is drawn again).
  const active = document.activeElement;
  const focused = active && active.closest ? active.closest("#moderation-entries [data-entry]") : null;
  const keep = focused ? { entry: focused.dataset.entry, action: active.dataset.moderate } : focusEntry;
  const list = $("moderation-entries");
  const rows = Object.entries(counts).map(([key, count], index) => {
    const status = ACTIONS[statuses[key]] ? statuses[key] : "approved";
    const textId = `moderation-entry-${index}`;
    return el(
      "li",
      { class: "moderation-entry", dataset: { entry: key, status } },
      el("span", { id: textId, class: "entry-text", dir: "auto", text: labels[key] || key }),
      el("span", { class: "entry-count", text: t("results.answers", { count }) }),
      el("span", { class: `entry-status status-${status}`, text: t(STATUS_KEYS[status]) }),
      el(
        "span",
        { class: "entry-actions" },
        ...ACTIONS[status].map((action) =>
          el(
            "button",
            // Never disabled while a change is on its way: the focus may stay on them (a
            // decision sent twice changes nothing).
            { type: "button", class: "button small-button", dataset: { moderate: action }, "aria-describedby": textId, disabled: ctx.ended },
            t(ACTION_KEYS[action]),
          ),
        ),
      ),
    );
  });
  if (!rows.length) rows.push(el("li", { class: "muted", text: t("results.empty") }));
  list.replaceChildren(...rows);
  if (keep) {
    // The same button if the entry still has it (live results redraw the list), else
    // the first of its row (a decision changed what can be done).
    const row = [...list.querySelectorAll("[data-entry]")].find((r) => r.dataset.entry === keep.entry);
    const buttons = row ? [...row.querySelectorAll("button")] : [];
    const button = buttons.find((b) => b.dataset.moderate === keep.action) || buttons[0];
    focusIfLost(button || $("moderation-entries-heading"));
    if (!busy) focusEntry = null;
  }
}

/** Drawn again after the poll kind took a message in (its handlers may run after ours). */
function later() {
  queueMicrotask(() => {
    if (ctx) render();
  });
}

// -- actions ------------------------------------------------------------------------------
async function send(event, payload) {
  busy = true;
  render();
  const ack = await ctx.call(event, payload);
  busy = false;
  const error = $("moderation-error");
  error.hidden = ack.ok;
  setText(error, ack.ok ? "" : t("poll.mod_failed", { error: staffErrorText(ack.error) }));
  // The poll and its results come with the broadcasts, which the server sends first.
  ctx.render();
  return ack;
}

function onScreenLive() {
  const poll = selectedPoll();
  if (poll) send("poll:screen", { poll_id: poll.id, live: $("screen-live").checked });
}

function sendSettings(settings) {
  const poll = selectedPoll();
  if (poll) send("poll:moderation", { poll_id: poll.id, ...settings });
}

function onEntryClick(evt) {
  const button = evt.target.closest("button[data-moderate]");
  const row = button && button.closest("[data-entry]");
  const poll = selectedPoll();
  if (!button || !row || !poll) return;
  focusEntry = { entry: row.dataset.entry, action: null };
  send("poll:moderate", { poll_id: poll.id, entry: row.dataset.entry, action: button.dataset.moderate });
}

registerKind({
  type: "poll_moderation",
  noun: "moderation",
  stage: false,
  presenter: {
    mount,
    render,
    applyState: later,
    items: () => [],
    item: () => null,
    messages: Object.fromEntries(
      ["poll:created", "poll:updated", "poll:opened", "poll:closed", "poll:revealed", "poll:results", "poll:deleted"].map(
        (name) => [name, later],
      ),
    ),
  },
});
