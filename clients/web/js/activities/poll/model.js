// What every page knows about polls: the poll kinds (single, multiple, rating, word
// cloud, open text), how an answer reads, and how results are drawn. The poll object and
// its results are in docs/protocol.md ("Polls"). Texts are the catalogue's `poll.*`
// messages (js/core/i18n.js); what the presenter typed is shown as typed.

import { userText } from "../../core/a11y.js";
import { ResultsView, barList, wordList } from "../../core/charts.js";
import { el } from "../../core/dom.js";
import { formatNumber, t, tParts } from "../../core/i18n.js";

/** The kind's name in the registry (js/core/kinds.js) and on the pages. */
export const POLL = { type: "poll", noun: "poll" };

/** The catalogue key of each poll kind's name. */
export const KIND_KEYS = {
  single: "poll.kind_single",
  multiple: "poll.kind_multiple",
  rating: "poll.kind_rating",
  wordcloud: "poll.kind_wordcloud",
  open_text: "poll.kind_open_text",
};

/** kind -> its name in the page's language (read when used, so a switch shows). */
export const KIND_LABELS = Object.defineProperties(
  {},
  Object.fromEntries(Object.entries(KIND_KEYS).map(([kind, key]) => [kind, { get: () => t(key), enumerable: true }])),
);

export const CHOICE_KINDS = new Set(["single", "multiple"]);
export const TEXT_KINDS = new Set(["wordcloud", "open_text"]);

export function kindLabel(poll) {
  return KIND_KEYS[poll.kind] ? t(KIND_KEYS[poll.kind]) : poll.kind;
}

/** A stored answer as nodes for a sentence: each option label or text in its own <bdi>
 *  (as typed, direction of its own), a rating as "4 / 5". */
export function describeAnswerParts(poll, answer) {
  if (answer === null || answer === undefined) return [];
  if (CHOICE_KINDS.has(poll.kind)) {
    const labels = new Map((poll.options || []).map((o) => [o.id, o.label]));
    const ids = Array.isArray(answer) ? answer : [answer];
    const parts = [];
    ids.forEach((id, index) => {
      if (index > 0) parts.push(t("common.list_separator"));
      parts.push(userText(labels.get(id) ?? String(id)));
    });
    return parts;
  }
  if (poll.kind === "rating") return [t("poll.rating_value", { value: Number(answer), scale: poll.scale || 5 })];
  if (Array.isArray(answer)) {
    // Several words of a word cloud: each as typed, in its own <bdi>.
    const parts = [];
    answer.forEach((word, index) => {
      if (index > 0) parts.push(t("common.list_separator"));
      parts.push(userText(String(word)));
    });
    return parts;
  }
  return [userText(answer)];
}

/** A stored answer as text: option labels, "4 / 5", or the text. */
export function describeAnswer(poll, answer) {
  return describeAnswerParts(poll, answer)
    .map((part) => (typeof part === "string" ? part : part.textContent))
    .join("");
}

/** The answer as one node for tParts(): `{answer}` in "Your answer: {answer}". */
export function answerNode(poll, answer) {
  return el("span", { class: "answer-text" }, describeAnswerParts(poll, answer));
}

/** Draws a poll's results: bars (choice and rating polls, with the mean of a rating) or
 *  words sized by count (word cloud, open text). */
export function drawPollResults(container, poll, results, total) {
  container.dataset.kind = poll.kind;
  container.dataset.resultsPoll = poll.id;
  const counts = (results && results.counts) || {};
  if (TEXT_KINDS.has(poll.kind)) {
    // Entries are counted by a normalised key; `labels` holds the form people typed.
    const parts = wordList(counts, results && results.labels, {
      cloud: poll.kind === "wordcloud",
      distinct: results && results.distinct,
    });
    if (parts && results && results.statuses) markStatuses(parts[0], counts, results.statuses);
    container.replaceChildren(...(parts || [el("p", { class: "empty", text: t("results.empty") })]));
    return;
  }
  const rows =
    poll.kind === "rating"
      ? Array.from({ length: poll.scale || 5 }, (_, i) => ({ id: String(i + 1), label: formatNumber(i + 1) }))
      : (poll.options || []).map((o) => ({ id: o.id, label: o.label }));
  const parts = [barList(rows, counts, total, `bars-${poll.kind}`)];
  if (poll.kind === "rating") {
    const mean = results && results.mean !== null && results.mean !== undefined ? results.mean : null;
    const oneDecimal = { minimumFractionDigits: 1, maximumFractionDigits: 1 };
    const shown = mean === null ? "–" : formatNumber(Number(mean), oneDecimal);
    parts.push(
      el(
        "p",
        { class: "rating-mean" },
        tParts("poll.average", { mean: el("strong", { class: "mean", text: shown }), scale: poll.scale || 5 }),
      ),
    );
  }
  container.replaceChildren(...parts);
}

/** The catalogue key of each moderation status an entry can have but "approved". */
const HELD_STATUS_KEYS = {
  pending: "poll.mod_status_pending",
  hidden: "poll.mod_status_hidden",
  filtered: "poll.mod_status_filtered",
};

/** Presenters' results of a moderated text poll (`statuses`): each entry the room does
 *  not see says so, in words (js/activities/poll/moderation.js decides on them). The
 *  list's items are the positive `counts` in order (core/charts.js, wordList). */
function markStatuses(list, counts, statuses) {
  const keys = Object.entries(counts)
    .filter(([, n]) => typeof n === "number" && n > 0)
    .map(([key]) => key);
  [...list.children].forEach((item, index) => {
    const key = HELD_STATUS_KEYS[statuses[keys[index]]];
    if (!key) return;
    item.dataset.status = statuses[keys[index]];
    item.append(el("span", { class: "word-status", text: t(key) }));
  });
}

/** The results of one poll in `container` (see ResultsView); `setPoll` and `poll` name
 *  what ResultsView calls `setItem` and `item`. */
export class PollResultsView extends ResultsView {
  constructor(container, options = {}) {
    super(container, { ...options, resultsId: (results) => results.poll_id, draw: drawPollResults });
  }

  get poll() {
    return this.item;
  }

  set poll(poll) {
    this.item = poll;
  }

  setPoll(poll) {
    this.setItem(poll);
  }
}
