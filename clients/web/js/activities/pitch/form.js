// The presenter console's "New pitch session" form: the title, the pitches as rows
// (title, organisation, speaker, description, link; added one by one or pasted, one per
// line, and put in their running order with each row's Move up / Move down), the jury's
// criteria, and a timer for every pitch. The console is in English.

import { $, el, setText } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";

const FIELDS = [
  ["title", "Title", 200],
  ["organisation", "Organisation", 200],
  ["speaker", "Speaker", 200],
  ["description", "Description (optional)", 1000],
  ["link", "Link (optional)", 500],
];

let rowSeq = 0; // ids for the rows' fields

/** Build the form into `card`; `create(payload)` sends it and answers an ack. */
export function buildForm(card, create) {
  const rows = el("ol", { id: "pitch-rows", class: "pitch-rows" });
  rows.addEventListener("click", onRowClick);
  const form = el(
    "form",
    { id: "pitch-form", novalidate: true },
    el("label", { for: "pitch-session-title-input" }, "Title"),
    el("input", { id: "pitch-session-title-input", maxlength: 200, dir: "auto", placeholder: "Pitch night" }),
    el("h3", { class: "small" }, "Pitches, in their running order"),
    rows,
    el("button", { id: "pitch-add-row", type: "button", class: "button small-button" }, "Add a pitch"),
    el(
      "label",
      { for: "pitch-paste" },
      "Or paste pitches ",
      el("span", { class: "optional" }, "(one per line: Title; Organisation; Speaker; Description; Link)"),
    ),
    el("textarea", { id: "pitch-paste", rows: 3, dir: "auto", placeholder: "Solar roofs; SunCo; Ana Lima" }),
    el("button", { id: "pitch-paste-add", type: "button", class: "button small-button" }, "Add the pasted pitches"),
    el("label", { for: "pitch-criteria-input" }, "Jury criteria ", el("span", { class: "optional" }, "(optional, one per line)")),
    el("textarea", { id: "pitch-criteria-input", rows: 2, dir: "auto", placeholder: "Impact\nTeam" }),
    el("label", { for: "pitch-timer-default" }, "Pitch timer in seconds ", el("span", { class: "optional" }, "(optional, for every pitch)")),
    el("input", { id: "pitch-timer-default", type: "number", min: 1, max: 3600, step: 1, inputmode: "numeric" }),
    el("button", { id: "pitch-create-button", type: "submit", class: "button primary" }, "Create pitch session"),
    el("p", { id: "pitch-create-error", class: "error", role: "alert", hidden: true }),
  );
  card.append(el("h2", {}, "New pitch session"), form);
  $("pitch-add-row").addEventListener("click", () => {
    const row = addRow({});
    row.querySelector("input").focus();
  });
  $("pitch-paste-add").addEventListener("click", onPaste);
  form.addEventListener("submit", async (evt) => {
    evt.preventDefault();
    const payload = collect();
    if (typeof payload === "string") return showError(payload);
    showError("");
    const button = $("pitch-create-button");
    button.disabled = true;
    const ack = await create(payload);
    button.disabled = false;
    if (!ack.ok) return showError(staffErrorText(ack.error));
    $("pitch-session-title-input").value = "";
    $("pitch-criteria-input").value = "";
    $("pitch-timer-default").value = "";
    rows.replaceChildren();
    addRow({});
  });
  addRow({});
}

function showError(text) {
  const node = $("pitch-create-error");
  node.hidden = !text;
  setText(node, text || "");
}

function addRow(values) {
  rowSeq += 1;
  const n = rowSeq;
  const row = el(
    "li",
    { class: "pitch-row" },
    el(
      "fieldset",
      { class: "plain-fieldset" },
      el("legend", { class: "small pitch-row-legend" }),
      FIELDS.map(([name, label, max]) => [
        el("label", { for: `pitch-row-${n}-${name}`, class: "small" }, label),
        el("input", { id: `pitch-row-${n}-${name}`, maxlength: max, dir: "auto", dataset: { field: name }, value: values[name] || "" }),
      ]).flat(),
      el(
        "p",
        { class: "pitch-row-actions" },
        el("button", { type: "button", class: "button small-button", dataset: { rowAction: "up" } }, "Move up"),
        el("button", { type: "button", class: "button small-button", dataset: { rowAction: "down" } }, "Move down"),
        el("button", { type: "button", class: "button small-button", dataset: { rowAction: "remove" } }, "Remove"),
      ),
    ),
  );
  $("pitch-rows").append(row);
  numberRows();
  return row;
}

/** "Pitch 1", "Pitch 2"... after every change of the order. */
function numberRows() {
  [...$("pitch-rows").children].forEach((row, i) => setText(row.querySelector(".pitch-row-legend"), `Pitch ${i + 1}`));
}

function onRowClick(evt) {
  const button = evt.target.closest("button[data-row-action]");
  if (!button) return;
  const row = button.closest("li");
  const action = button.dataset.rowAction;
  if (action === "up" && row.previousElementSibling) row.previousElementSibling.before(row);
  else if (action === "down" && row.nextElementSibling) row.nextElementSibling.after(row);
  else if (action === "remove") {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    if (next) next.querySelector("input").focus();
    else $("pitch-add-row").focus();
  }
  numberRows();
  if (action !== "remove") button.focus(); // the moved row's button keeps the focus
}

function isEmpty(row) {
  return [...row.querySelectorAll("input[data-field]")].every((input) => !input.value.trim());
}

function onPaste() {
  const lines = $("pitch-paste").value.split("\n").map((line) => line.trim()).filter(Boolean);
  if (!lines.length) return showError("Paste one pitch per line first.");
  // A blank row the form starts with is replaced, not kept before the pasted ones.
  for (const row of [...$("pitch-rows").children]) if (isEmpty(row)) row.remove();
  for (const line of lines) {
    const [title, organisation, speaker, description, link] = line.split(";").map((part) => part.trim());
    addRow({ title, organisation, speaker, description, link });
  }
  $("pitch-paste").value = "";
  showError("");
}

/** The `pitch:create` payload, or a sentence saying what is missing. */
function collect() {
  const title = $("pitch-session-title-input").value.trim();
  if (!title) return "Give the session a title.";
  const pitches = [];
  for (const [i, row] of [...$("pitch-rows").children].entries()) {
    if (isEmpty(row)) continue;
    const pitch = {};
    for (const input of row.querySelectorAll("input[data-field]")) {
      const value = input.value.trim();
      if (value) pitch[input.dataset.field] = value;
    }
    if (!pitch.title || !pitch.organisation || !pitch.speaker) {
      return `Pitch ${i + 1} needs a title, an organisation and a speaker.`;
    }
    pitches.push(pitch);
  }
  if (!pitches.length) return "Add at least one pitch.";
  const criteria = $("pitch-criteria-input").value.split("\n").map((line) => line.trim()).filter(Boolean);
  const payload = { title, pitches, criteria };
  const timer = $("pitch-timer-default").value.trim();
  if (timer) payload.timer_s = Number(timer);
  return payload;
}
