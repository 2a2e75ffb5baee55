// Filling in an award ballot on the attendee page, before the review step: one candidate
// (plurality), any number (approval), a score from 0 to 5 each (score), or a ranking
// (instant-runoff, Borda, Schulze). A ranking is made by tapping candidates in order of
// preference; it is reordered by dragging a row's handle (touch or mouse: pointer
// events) or with the row's arrow buttons (keyboard), and a row is removed with its
// button. Every control is a real button named by its candidate; candidates the voter
// may not vote for are shown disabled, with the reason.

import { el } from "../../core/dom.js";
import { formatNumber, t } from "../../core/i18n.js";
import { RANKED } from "./model.js";

const SCORES = [0, 1, 2, 3, 4, 5];

/**
 * Build the composer for `ballot` into `container`. `excluded`: candidate ids this voter
 * may not vote for; `onChange()`: the draft changed. Returns `{get, set, disable}`.
 */
export function buildComposer(container, ballot, { excluded = [], onChange = () => {} } = {}) {
  const candidates = ballot.candidates || [];
  const out = new Set(excluded);
  const max = ballot.max_choices || candidates.length;
  const method = ballot.method;
  let draft = empty();
  let disabled = false;

  function empty() {
    if (method === "plurality") return null;
    if (method === "score") return {};
    return [];
  }

  function changed() {
    render();
    onChange();
  }

  function name(c) {
    return el("span", { class: "ballot-name", dir: "auto" }, c.name);
  }

  function org(c) {
    return c.organisation ? el("span", { class: "ballot-org muted small", dir: "auto" }, c.organisation) : null;
  }

  function excludedNote(c) {
    return out.has(c.id) ? el("span", { class: "ballot-excluded small" }, t("ballot.excluded")) : null;
  }

  function candidateButton(c, pressed, onclick) {
    return el(
      "button",
      {
        type: "button",
        class: "option ballot-candidate" + (pressed ? " selected" : ""),
        dataset: { candidate: c.id },
        "aria-pressed": pressed ? "true" : "false",
        disabled: disabled || out.has(c.id),
        onclick,
      },
      el("span", { class: "ballot-candidate-text" }, name(c), org(c), excludedNote(c)),
    );
  }

  // -- plurality and approval -------------------------------------------------------------
  function renderPicks() {
    const chosen = (id) => (method === "plurality" ? draft === id : draft.includes(id));
    const toggle = (id) => {
      if (method === "plurality") draft = draft === id ? null : id;
      else if (draft.includes(id)) draft = draft.filter((x) => x !== id);
      else if (draft.length < max) draft = candidates.map((c) => c.id).filter((x) => x === id || draft.includes(x));
      changed();
    };
    return el(
      "div",
      { class: "options", role: "group", "aria-labelledby": "ballot-title", "aria-describedby": "ballot-hint" },
      candidates.map((c) => candidateButton(c, chosen(c.id), () => toggle(c.id))),
    );
  }

  // -- score ----------------------------------------------------------------------------
  function renderScores() {
    return el(
      "div",
      { class: "ballot-scores" },
      candidates.map((c) =>
        el(
          "fieldset",
          { class: "ballot-score", dataset: { candidate: c.id } },
          el("legend", {}, name(c), org(c), excludedNote(c)),
          el(
            "div",
            { class: "ballot-score-buttons" },
            SCORES.map((score) => {
              const pressed = draft[c.id] === score;
              return el(
                "button",
                {
                  type: "button",
                  class: "option score-button" + (pressed ? " selected" : ""),
                  dataset: { score: String(score) },
                  "aria-pressed": pressed ? "true" : "false",
                  "aria-label": t("ballot.score_for", { score, name: c.name }),
                  disabled: disabled || (out.has(c.id) && score > 0),
                  onclick: () => {
                    if (pressed) delete draft[c.id];
                    else draft[c.id] = score;
                    changed();
                  },
                },
                formatNumber(score),
              );
            }),
          ),
        ),
      ),
    );
  }

  // -- ranking -------------------------------------------------------------------------
  function move(id, by) {
    const from = draft.indexOf(id);
    const to = from + by;
    if (from < 0 || to < 0 || to >= draft.length) return;
    const next = [...draft];
    next.splice(from, 1);
    next.splice(to, 0, id);
    draft = next;
    changed();
    // Keep the keyboard on the same arrow of the row that moved.
    const selector = `#ballot-ranking [data-candidate="${CSS.escape(id)}"] [data-move="${by < 0 ? "up" : "down"}"]`;
    const again = container.querySelector(selector);
    if (again && !again.disabled) again.focus();
    else container.querySelector(`#ballot-ranking [data-candidate="${CSS.escape(id)}"] button`)?.focus();
  }

  function rankedRow(c, index) {
    const handle = el("span", { class: "drag-handle", "aria-hidden": "true", title: t("ballot.drag", { name: c.name }) }, "⠿");
    handle.addEventListener("pointerdown", startDrag);
    return el(
      "li",
      { class: "ballot-ranked", dataset: { candidate: c.id } },
      handle,
      el("span", { class: "rank-number" }, `${formatNumber(index + 1)}.`),
      el("span", { class: "ballot-ranked-name" }, name(c), org(c)),
      el(
        "span",
        { class: "ballot-ranked-actions" },
        el(
          "button",
          {
            type: "button",
            class: "icon-button",
            dataset: { move: "up" },
            "aria-label": t("ballot.move_up", { name: c.name }),
            disabled: disabled || index === 0,
            onclick: () => move(c.id, -1),
          },
          "↑",
        ),
        el(
          "button",
          {
            type: "button",
            class: "icon-button",
            dataset: { move: "down" },
            "aria-label": t("ballot.move_down", { name: c.name }),
            disabled: disabled || index === draft.length - 1,
            onclick: () => move(c.id, 1),
          },
          "↓",
        ),
        el(
          "button",
          {
            type: "button",
            class: "icon-button",
            dataset: { remove: c.id },
            "aria-label": t("ballot.remove", { name: c.name }),
            disabled,
            onclick: () => {
              draft = draft.filter((x) => x !== c.id);
              changed();
              container.querySelector(`#ballot-pool [data-candidate="${CSS.escape(c.id)}"]`)?.focus();
            },
          },
          "✕",
        ),
      ),
    );
  }

  function renderRanking() {
    const byId = new Map(candidates.map((c) => [c.id, c]));
    const ranked = draft.map((id, i) => rankedRow(byId.get(id), i));
    const pool = candidates.filter((c) => !draft.includes(c.id));
    const full = draft.length >= max;
    return [
      el("h2", { id: "ballot-ranking-heading", class: "ballot-subheading" }, t("ballot.your_ranking")),
      ranked.length
        ? el("ol", { id: "ballot-ranking", class: "ballot-ranking", "aria-labelledby": "ballot-ranking-heading" }, ranked)
        : el("p", { id: "ballot-ranking-empty", class: "muted" }, t("ballot.ranking_empty")),
      pool.length ? el("h2", { id: "ballot-pool-heading", class: "ballot-subheading" }, t("ballot.candidates")) : null,
      pool.length
        ? el(
            "div",
            { id: "ballot-pool", class: "options", role: "group", "aria-labelledby": "ballot-pool-heading" },
            pool.map((c) =>
              candidateButton(c, false, () => {
                if (full) return;
                draft = [...draft, c.id];
                changed();
                // Go on with the next candidate to rank (or the ranking when none is left).
                const next = container.querySelector("#ballot-pool .ballot-candidate:not(:disabled)");
                (next || container.querySelector("#ballot-ranking button"))?.focus();
              }),
            ),
          )
        : null,
    ];
  }

  // Dragging a row by its handle: the row follows the pointer between the others. The
  // moves are followed on the window: moving the row in the list takes the pointer's
  // capture away from its handle.
  function startDrag(evt) {
    if (disabled) return;
    const row = evt.currentTarget.closest("li");
    const list = row && row.parentElement;
    if (!list) return;
    evt.preventDefault();
    const pointer = evt.pointerId;
    row.classList.add("dragging");
    const onMove = (e) => {
      if (e.pointerId !== pointer) return;
      e.preventDefault();
      const others = [...list.children].filter((li) => li !== row);
      const before = others.find((li) => {
        const box = li.getBoundingClientRect();
        return e.clientY < box.top + box.height / 2;
      });
      if (before) {
        if (row.nextElementSibling !== before) list.insertBefore(row, before);
      } else if (list.lastElementChild !== row) {
        list.append(row);
      }
    };
    const onUp = (e) => {
      if (e.pointerId !== pointer) return;
      window.removeEventListener("pointermove", onMove);
      window.removeEventListener("pointerup", onUp);
      window.removeEventListener("pointercancel", onUp);
      row.classList.remove("dragging");
      const order = [...list.children].map((li) => li.dataset.candidate);
      if (order.join() !== draft.join()) {
        draft = order;
        changed();
      } else {
        render();
      }
    };
    window.addEventListener("pointermove", onMove, { passive: false });
    window.addEventListener("pointerup", onUp);
    window.addEventListener("pointercancel", onUp);
  }

  function render() {
    let body;
    if (method === "score") body = renderScores();
    else if (RANKED.has(method)) body = renderRanking();
    else body = renderPicks();
    container.replaceChildren(...[body].flat().filter(Boolean));
    container.dataset.method = method;
  }

  render();
  return {
    /** The draft as the server takes it, or null when nothing is chosen yet. */
    get() {
      if (method === "plurality") return draft;
      if (method === "score") return Object.keys(draft).length ? { ...draft } : null;
      return draft.length ? [...draft] : null;
    },
    /** Start from `choice` (the stored one, or the draft kept on this device). */
    set(choice) {
      draft = empty();
      if (choice !== null && choice !== undefined) {
        if (method === "plurality" && typeof choice === "string") draft = choice;
        else if (method === "score" && typeof choice === "object" && !Array.isArray(choice)) draft = { ...choice };
        else if (Array.isArray(choice)) draft = [...choice];
      }
      render();
    },
    disable(value) {
      disabled = Boolean(value);
      render();
    },
  };
}
