// Results charts every kind can use: horizontal bars (one per option, with count and
// percentage) and a list of words sized by count, plus ResultsView, which keeps the
// newest results of the activity it shows (by `seq`) and redraws with a kind's drawing.
// Numbers are formatted for the page's language; labels and words people typed get
// dir="auto", so that right-to-left text reads right; the figures are text, never only
// a colour or a bar's length.

import { el } from "./dom.js";
import { formatNumber, formatPercent, t } from "./i18n.js";
import { newerResults } from "./sync.js";

/**
 * Bars into a new `<ol class="bars {className}">`: `rows` are `{id, label}` in order,
 * `counts` maps a row id to its count, `total` is 100 %. The top count is highlighted.
 */
export function barList(rows, counts, total, className) {
  const maxCount = Math.max(0, ...rows.map((r) => counts[r.id] || 0));
  const list = el("ol", { class: `bars ${className}` });
  for (const row of rows) {
    const count = counts[row.id] || 0;
    const pct = total > 0 ? count / total : 0;
    const width = total > 0 ? Math.min(100, (count * 100) / total) : 0;
    const item = el(
      "li",
      { class: "bar" + (count > 0 && count === maxCount ? " bar-top" : ""), dataset: { option: row.id } },
      el(
        "div",
        { class: "bar-head" },
        el("span", { class: "bar-label", dir: "auto", text: row.label }),
        el(
          "span",
          { class: "bar-figures" },
          el("span", { class: "count", text: formatNumber(count) }),
          el("span", { class: "pct", text: formatPercent(pct) }),
        ),
      ),
      el("div", { class: "bar-track", "aria-hidden": "true" }, el("div", { class: "bar-fill", style: `width:${width.toFixed(2)}%;--pct:${width.toFixed(2)}%` })),
    );
    list.append(item);
  }
  return list;
}

/**
 * Words sized by count (`counts`: key -> count; `labels`: key -> the form to show) into
 * the returned elements: a cloud (1em to 2.6em) or a list of texts (1em to 1.4em), and a
 * note when only the top `counts` of `distinct` entries are shown. Null when empty.
 * A word's size follows its share of the top count (square root), so that words with the
 * same count are the same size and a lead of one vote does not dwarf the rest. In a
 * cloud each word also carries its longest run of letters (`--len`): the CSS shrinks a
 * long word to fit the width rather than break it.
 */
export function wordList(counts, labels, { cloud, distinct } = {}) {
  const entries = Object.entries(counts || {}).filter(([, n]) => typeof n === "number" && n > 0);
  if (!entries.length) return null;
  const max = Math.max(...entries.map(([, n]) => n));
  const min = Math.min(...entries.map(([, n]) => n));
  const list = el("ul", { class: cloud ? "words cloud" : "words texts" });
  entries.forEach(([key, n], index) => {
    const text = labels && typeof labels[key] === "string" ? labels[key] : key;
    const span = max > min ? (n - min) / (max - min) : 1;
    const size = cloud ? 1 + 1.6 * Math.sqrt(n / max) : 1 + 0.4 * span;
    const longest = Math.max(1, ...text.split(/\s+/).map((word) => [...word].length));
    list.append(
      el(
        "li",
        {
          class: `word hue-${index % 6}`,
          dataset: { count: String(n) },
          style: cloud ? `--size:${size.toFixed(2)}em;--len:${longest}` : `font-size:${size.toFixed(2)}em`,
          title: t("results.answers", { count: n }),
        },
        el("span", { class: "word-text", dir: "auto", text }),
        el("span", { class: "word-count", text: formatNumber(n) }),
      ),
    );
  });
  const parts = [list];
  if (typeof distinct === "number" && distinct > entries.length) {
    parts.push(el("p", { class: "muted", text: t("results.top_of", { shown: entries.length, distinct }) }));
  }
  return parts;
}

/**
 * The results of one activity drawn into `container`. Keeps the highest `seq` shown and
 * ignores older results. Options: `totalEl` (an element that gets the bare total),
 * `resultsId(results)` (which activity results are for; default `results.id`) and
 * `draw(container, item, results, total)` (the kind's drawing) and `onTotal(total)`
 * (called after every drawing, e.g. for a plural "answers" next to the total).
 */
export class ResultsView {
  constructor(container, options = {}) {
    this.container = container;
    this.totalEl = options.totalEl || null;
    this.resultsId = options.resultsId || ((results) => results.id);
    this.draw = options.draw || (() => {});
    this.onTotal = options.onTotal || (() => {});
    this.item = null;
    this.results = null;
    this.seq = -1;
  }

  /** Show `item` (resets the seq when it is another one); null shows nothing. */
  setItem(item) {
    if (!item) {
      this.item = null;
      this.results = null;
      this.seq = -1;
      this.render();
      return;
    }
    if (!this.item || this.item.id !== item.id) {
      this.results = null;
      this.seq = -1;
    }
    this.item = item;
    if (item.results) this.update(item.results, true);
    else this.render();
  }

  /** Apply results if they are for this item and newer than those shown. Returns true
   *  when they were applied. */
  update(results, force = false) {
    if (!this.item || !results || this.resultsId(results) !== this.item.id) return false;
    const seq = typeof results.seq === "number" ? results.seq : -1;
    if (this.results && !force && newerResults(this.results, results) === this.results) return false;
    if (seq < this.seq) return false;
    this.seq = seq;
    this.results = results;
    this.render();
    return true;
  }

  clear() {
    this.container.replaceChildren();
    if (this.totalEl) this.totalEl.textContent = formatNumber(0);
    this.onTotal(0);
  }

  render() {
    const total = this.results ? this.results.total || 0 : 0;
    if (this.totalEl) this.totalEl.textContent = formatNumber(total);
    this.onTotal(total);
    if (!this.item) {
      this.container.replaceChildren();
      return;
    }
    this.container.dataset.seq = String(this.seq);
    this.draw(this.container, this.item, this.results, total);
  }
}
