// What every page knows about polls: the poll kinds (single, multiple, rating, word
// cloud, open text), how an answer reads, and how results are drawn. The poll object and
// its results are in docs/protocol.md ("Polls").

import { ResultsView, barList, wordList } from "../../core/charts.js";
import { el } from "../../core/dom.js";

/** The kind's name in the registry (js/core/kinds.js) and on the pages. */
export const POLL = { type: "poll", noun: "poll" };

export const KIND_LABELS = {
  single: "Single choice",
  multiple: "Multiple choice",
  rating: "Rating",
  wordcloud: "Word cloud",
  open_text: "Open text",
};

export const CHOICE_KINDS = new Set(["single", "multiple"]);
export const TEXT_KINDS = new Set(["wordcloud", "open_text"]);

export function kindLabel(poll) {
  return KIND_LABELS[poll.kind] || poll.kind;
}

/** A stored answer as people read it: option labels, "4 / 5", or the text. */
export function describeAnswer(poll, answer) {
  if (answer === null || answer === undefined) return "";
  if (CHOICE_KINDS.has(poll.kind)) {
    const labels = new Map((poll.options || []).map((o) => [o.id, o.label]));
    const ids = Array.isArray(answer) ? answer : [answer];
    return ids.map((id) => labels.get(id) ?? String(id)).join(", ");
  }
  if (poll.kind === "rating") return `${answer} / ${poll.scale || 5}`;
  return String(answer);
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
    container.replaceChildren(...(parts || [el("p", { class: "empty", text: "No answers yet." })]));
    return;
  }
  const rows =
    poll.kind === "rating"
      ? Array.from({ length: poll.scale || 5 }, (_, i) => ({ id: String(i + 1), label: String(i + 1) }))
      : (poll.options || []).map((o) => ({ id: o.id, label: o.label }));
  const parts = [barList(rows, counts, total, `bars-${poll.kind}`)];
  if (poll.kind === "rating") {
    const mean = results && results.mean !== null && results.mean !== undefined ? results.mean : null;
    parts.push(
      el(
        "p",
        { class: "rating-mean" },
        "Average ",
        el("strong", { class: "mean", text: mean === null ? "–" : Number(mean).toFixed(1) }),
        ` / ${poll.scale || 5}`,
      ),
    );
  }
  container.replaceChildren(...parts);
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
