// The answer area of a poll on the attendee page: buttons (single choice, rating), check
// boxes and a Send button (multiple choice) or a text field (word cloud, open text).

import { $, el, setText } from "../../core/dom.js";
import { CHOICE_KINDS } from "./model.js";

/** What to do, under the question, while the poll is open. */
export function hintFor(poll) {
  switch (poll.kind) {
    case "single":
      return "Tap one answer. You can change it while voting is open.";
    case "multiple":
      return "Choose one or more, then send.";
    case "rating":
      return `Tap a rating from 1 to ${poll.scale || 5}.`;
    case "wordcloud":
      return "A word or short phrase (up to 40 characters).";
    case "open_text":
      return "Your answer, up to 280 characters.";
    default:
      return "";
  }
}

/**
 * Build the answer area for `poll` into #answer-area: `submit(choice)` sends an answer,
 * `invalid(text)` says why a form cannot be sent yet.
 */
export function buildAnswerArea(poll, { submit, invalid }) {
  const area = $("answer-area");
  delete area.dataset.touched;
  const parts = [];
  if (poll.kind === "single") {
    parts.push(
      el(
        "div",
        { class: "options", role: "group", "aria-label": "Answers" },
        (poll.options || []).map((o) =>
          el("button", { type: "button", class: "option", dataset: { option: o.id }, onclick: () => submit(o.id) }, o.label),
        ),
      ),
    );
  } else if (poll.kind === "multiple") {
    const form = el(
      "form",
      { id: "multiple-form", class: "options" },
      (poll.options || []).map((o) =>
        el(
          "label",
          { class: "option check", dataset: { option: o.id } },
          el("input", { type: "checkbox", name: "choice", value: o.id }),
          el("span", { class: "option-label" }, o.label),
        ),
      ),
      el("button", { id: "submit-answer", type: "submit", class: "button primary big" }, "Send"),
    );
    form.addEventListener("submit", (evt) => {
      evt.preventDefault();
      const checked = new Set([...form.querySelectorAll("input[name=choice]:checked")].map((i) => i.value));
      const choice = (poll.options || []).map((o) => o.id).filter((id) => checked.has(id));
      if (!choice.length) {
        invalid("Choose at least one option.");
        return;
      }
      submit(choice);
    });
    form.addEventListener("change", (evt) => {
      area.dataset.touched = "1";
      const label = evt.target.closest("label.option");
      if (label) label.classList.toggle("checked", evt.target.checked);
    });
    parts.push(form);
  } else if (poll.kind === "rating") {
    const scale = poll.scale || 5;
    parts.push(
      el(
        "div",
        { class: `options rating rating-${scale}`, role: "group", "aria-label": "Rating" },
        Array.from({ length: scale }, (_, i) => i + 1).map((n) =>
          el("button", { type: "button", class: "option", dataset: { option: String(n) }, onclick: () => submit(n) }, String(n)),
        ),
      ),
      el("div", { class: "rating-ends muted small" }, el("span", {}, "1 = low"), el("span", {}, `${scale} = high`)),
    );
  } else {
    const max = poll.kind === "wordcloud" ? 40 : 280;
    const field =
      poll.kind === "wordcloud"
        ? el("input", { id: "text-answer", type: "text", maxlength: max, autocomplete: "off", placeholder: "Your word" })
        : el("textarea", { id: "text-answer", maxlength: max, rows: 4, placeholder: "Your answer" });
    const counter = el("span", { id: "text-counter", class: "muted small" }, `0 / ${max}`);
    const form = el(
      "form",
      { id: "text-form", class: "text-form" },
      field,
      el("div", { class: "text-form-row" }, counter, el("button", { id: "submit-answer", type: "submit", class: "button primary" }, "Send")),
    );
    field.addEventListener("input", () => setText(counter, `${field.value.length} / ${max}`));
    form.addEventListener("submit", (evt) => {
      evt.preventDefault();
      const text = field.value.trim();
      if (!text) {
        invalid("Type an answer first.");
        return;
      }
      submit(text);
    });
    parts.push(form);
  }
  area.replaceChildren(...parts);
}

/** Enable/disable inputs and mark the answer `shown` (stored, or `sending`). */
export function updateAnswerArea(poll, open, shown, sending) {
  const area = $("answer-area");
  const chosen = new Set((Array.isArray(shown) ? shown : shown === undefined || shown === null ? [] : [shown]).map(String));
  area.classList.toggle("disabled", !open);
  for (const node of area.querySelectorAll("button, input, textarea")) node.disabled = !open;
  if (CHOICE_KINDS.has(poll.kind) || poll.kind === "rating") {
    for (const option of area.querySelectorAll("[data-option]")) {
      const selected = chosen.has(option.dataset.option);
      option.classList.toggle("selected", selected);
      option.classList.toggle("sending", selected && sending);
      if (option.tagName === "BUTTON") option.setAttribute("aria-pressed", String(selected));
      const box = option.querySelector("input[type=checkbox]");
      // Do not undo a selection the person is making; show the stored one otherwise.
      if (box && !area.dataset.touched) {
        box.checked = selected;
        option.classList.toggle("checked", selected);
      }
    }
  }
}
