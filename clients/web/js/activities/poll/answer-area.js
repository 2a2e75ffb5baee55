// The answer area of a poll on the attendee page: buttons (single choice, rating), check
// boxes and a Send button (multiple choice), a text field (open text) or, for a word
// cloud, one field per word the poll takes (`max_words`, sent as a list).
// Every control is a real button, check box or text field, named by the question
// (aria-labelledby), usable with the keyboard alone; options are shown as typed.

import { $, el, setText } from "../../core/dom.js";
import { formatNumber, t } from "../../core/i18n.js";
import { CHOICE_KINDS } from "./model.js";

/** What to do, under the question, while the poll is open. */
export function hintFor(poll) {
  switch (poll.kind) {
    case "single":
      return t("poll.hint_single");
    case "multiple":
      return t("poll.hint_multiple");
    case "rating":
      return t("poll.hint_rating", { scale: poll.scale || 5 });
    case "wordcloud":
      return maxWords(poll) > 1
        ? t("poll.hint_words", { count: maxWords(poll), max: WORD_MAX })
        : t("poll.hint_wordcloud", { max: WORD_MAX });
    case "open_text":
      return t("poll.hint_open_text", { max: 280 });
    default:
      return "";
  }
}

const WORD_MAX = 40; // characters of one word-cloud entry (docs/protocol.md)

/** How many words one attendee may give to a word cloud (1 to 10; 1 for older polls). */
export function maxWords(poll) {
  const n = Number(poll.max_words);
  return Number.isInteger(n) && n > 1 ? Math.min(n, 10) : 1;
}

/** The word-cloud fields: #text-answer, then #text-answer-2, -3, ... */
function wordFieldId(index) {
  return index === 0 ? "text-answer" : `text-answer-${index + 1}`;
}

/** Empty the text fields (after an answer was stored). */
export function clearTextAnswer() {
  for (const field of document.querySelectorAll("#answer-area [data-text-field]")) {
    field.value = "";
    field.dispatchEvent(new Event("input"));
  }
}

/** The same word twice (as the server counts: case and spacing aside)? */
function repeats(words) {
  const keys = words.map((w) => w.normalize("NFKC").toLocaleLowerCase().replace(/\s+/g, " "));
  return new Set(keys).size !== keys.length;
}

function counterText(length, max) {
  return t("poll.counter", { length, max });
}

/**
 * Build the answer area for `poll` into #answer-area: `submit(choice)` sends an answer,
 * `invalid(text)` says why a form cannot be sent yet. A text already typed is kept (the
 * area is rebuilt when the language changes).
 */
export function buildAnswerArea(poll, { submit, invalid }) {
  const area = $("answer-area");
  const typed = $("text-answer") ? $("text-answer").value : "";
  const typedWords = [...area.querySelectorAll("[data-text-field]")].map((field) => field.value);
  delete area.dataset.touched;
  const parts = [];
  if (poll.kind === "single") {
    parts.push(
      el(
        "div",
        { class: "options", role: "group", "aria-labelledby": "question", "aria-describedby": "poll-hint" },
        (poll.options || []).map((o) =>
          el(
            "button",
            { type: "button", class: "option", dataset: { option: o.id }, onclick: () => submit(o.id) },
            el("span", { class: "option-label", dir: "auto" }, o.label),
          ),
        ),
      ),
    );
  } else if (poll.kind === "multiple") {
    const form = el(
      "form",
      { id: "multiple-form", class: "options" },
      el(
        "div",
        { class: "option-set", role: "group", "aria-labelledby": "question", "aria-describedby": "poll-hint" },
        (poll.options || []).map((o) =>
          el(
            "label",
            { class: "option check", dataset: { option: o.id } },
            el("input", { type: "checkbox", name: "choice", value: o.id }),
            el("span", { class: "option-label", dir: "auto" }, o.label),
          ),
        ),
      ),
      el("button", { id: "submit-answer", type: "submit", class: "button primary big" }, t("poll.send")),
    );
    form.addEventListener("submit", (evt) => {
      evt.preventDefault();
      const checked = new Set([...form.querySelectorAll("input[name=choice]:checked")].map((i) => i.value));
      const choice = (poll.options || []).map((o) => o.id).filter((id) => checked.has(id));
      if (!choice.length) {
        invalid(t("poll.choose_one"));
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
        {
          class: `options rating rating-${scale}`,
          role: "group",
          "aria-labelledby": "question",
          "aria-describedby": "poll-hint rating-ends",
        },
        Array.from({ length: scale }, (_, i) => i + 1).map((n) =>
          el(
            "button",
            { type: "button", class: "option", dataset: { option: String(n) }, onclick: () => submit(n) },
            formatNumber(n),
          ),
        ),
      ),
      el(
        "div",
        { id: "rating-ends", class: "rating-ends muted small" },
        el("span", {}, t("poll.rating_low", { value: 1 })),
        el("span", {}, t("poll.rating_high", { value: scale })),
      ),
    );
  } else if (poll.kind === "wordcloud" && maxWords(poll) > 1) {
    // One field per word, each named "Word 1", "Word 2", ... inside the question's group.
    const count = maxWords(poll);
    const fields = Array.from({ length: count }, (_, i) => {
      const field = el("input", {
        id: wordFieldId(i),
        type: "text",
        maxlength: WORD_MAX,
        dir: "auto",
        autocomplete: "off",
        placeholder: t("poll.placeholder_word"),
        dataset: { textField: "" },
      });
      field.value = (typedWords[i] || "").slice(0, WORD_MAX);
      return field;
    });
    const form = el(
      "form",
      { id: "text-form", class: "text-form" },
      el(
        "div",
        { class: "word-fields", role: "group", "aria-labelledby": "question", "aria-describedby": "poll-hint" },
        fields.map((field, i) =>
          el(
            "div",
            { class: "word-field" },
            el("label", { for: field.id }, t("poll.word_label", { n: i + 1 })),
            field,
          ),
        ),
      ),
      el(
        "div",
        { class: "text-form-row" },
        el("span", {}),
        el("button", { id: "submit-answer", type: "submit", class: "button primary" }, t("poll.send")),
      ),
    );
    form.addEventListener("submit", (evt) => {
      evt.preventDefault();
      const words = fields.map((field) => field.value.trim()).filter(Boolean);
      if (!words.length) {
        invalid(t("poll.type_first"));
        fields[0].focus();
        return;
      }
      if (repeats(words)) {
        invalid(t("poll.words_distinct"));
        return;
      }
      submit(words);
    });
    parts.push(form);
  } else {
    const max = poll.kind === "wordcloud" ? WORD_MAX : 280;
    const common = {
      id: "text-answer",
      maxlength: max,
      dir: "auto",
      "aria-labelledby": "question",
      "aria-describedby": "poll-hint text-counter",
      dataset: { textField: "" },
    };
    const field =
      poll.kind === "wordcloud"
        ? el("input", { ...common, type: "text", autocomplete: "off", placeholder: t("poll.placeholder_word") })
        : el("textarea", { ...common, rows: 4, placeholder: t("poll.placeholder_text") });
    field.value = typed.slice(0, max);
    const counter = el("span", { id: "text-counter", class: "muted small" }, counterText(field.value.length, max));
    const form = el(
      "form",
      { id: "text-form", class: "text-form" },
      field,
      el(
        "div",
        { class: "text-form-row" },
        counter,
        el("button", { id: "submit-answer", type: "submit", class: "button primary" }, t("poll.send")),
      ),
    );
    field.addEventListener("input", () => setText(counter, counterText(field.value.length, max)));
    form.addEventListener("submit", (evt) => {
      evt.preventDefault();
      const text = field.value.trim();
      if (!text) {
        invalid(t("poll.type_first"));
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
