// What every page knows about award ballots: the counting methods, how a choice reads,
// the places of a reveal and how a result is drawn. The ballot object and the result
// object are in docs/protocol.md ("Award ballots"). Texts are the catalogue's
// `ballot.*` messages; what the presenter typed (title, names) is shown as typed.

import { userText } from "../../core/a11y.js";
import { el } from "../../core/dom.js";
import { formatNumber, t } from "../../core/i18n.js";

/** The kind's name in the registry (js/core/kinds.js) and on the pages. */
export const BALLOT = { type: "ballot", noun: "award ballot" };

export const RANKED = new Set(["irv", "borda", "schulze"]);

/** The catalogue key of each method's name (literal keys: the i18n test reads them). */
const METHOD_KEYS = {
  plurality: "ballot.method_plurality",
  approval: "ballot.method_approval",
  score: "ballot.method_score",
  irv: "ballot.method_irv",
  borda: "ballot.method_borda",
  schulze: "ballot.method_schulze",
};

/** English names for the presenter console (English only). */
export const METHOD_NAMES = {
  irv: "Ranked: instant-runoff",
  borda: "Ranked: Borda count",
  schulze: "Ranked: Condorcet (Schulze)",
  plurality: "One choice (plurality)",
  approval: "Approve any (approval)",
  score: "Score 0 to 5",
};

export function methodLabel(ballot) {
  return METHOD_KEYS[ballot.method] ? t(METHOD_KEYS[ballot.method]) : ballot.method;
}

export function hintFor(ballot) {
  if (ballot.method === "plurality") return t("ballot.hint_plurality");
  if (ballot.method === "approval") return t("ballot.hint_approval");
  if (ballot.method === "score") return t("ballot.hint_score");
  return t("ballot.hint_ranked");
}

/** candidate id -> name. */
export function names(ballot) {
  return new Map((ballot.candidates || []).map((c) => [c.id, c.name]));
}

/** A choice as a list of nodes for a sentence: names (each in its own <bdi>), numbered
 *  when ranked, with the score when scored. */
export function choiceParts(ballot, choice) {
  if (choice === null || choice === undefined) return [];
  const named = names(ballot);
  const name = (id) => userText(named.get(id) ?? String(id));
  const parts = [];
  const add = (...nodes) => {
    if (parts.length) parts.push(t("common.list_separator"));
    parts.push(...nodes);
  };
  if (typeof choice === "string") return [name(choice)];
  if (Array.isArray(choice)) {
    choice.forEach((id, index) => {
      if (RANKED.has(ballot.method)) add(`${formatNumber(index + 1)}. `, name(id));
      else add(name(id));
    });
    return parts;
  }
  for (const [id, score] of Object.entries(choice)) add(name(id), `: ${formatNumber(score)}`);
  return parts;
}

export function choiceText(ballot, choice) {
  return choiceParts(ballot, choice)
    .map((part) => (typeof part === "string" ? part : part.textContent))
    .join("");
}

/** "Winner", "Second place", "Third place", "Place 4". */
export function placeLabel(place) {
  if (place === 1) return t("ballot.place_1");
  if (place === 2) return t("ballot.place_2");
  if (place === 3) return t("ballot.place_3");
  return t("ballot.place_n", { place });
}

/** The places revealed so far, best first, as a list: each place's label and names. */
export function placesList(ballot, places, { id, className = "ballot-places" } = {}) {
  const named = names(ballot);
  const sorted = [...(places || [])].sort((a, b) => a.place - b.place);
  return el(
    "ol",
    { id, class: className },
    sorted.map((p) =>
      el(
        "li",
        { class: `ballot-place place-${Math.min(p.place, 4)}`, dataset: { place: String(p.place) } },
        el("span", { class: "ballot-place-label" }, placeLabel(p.place)),
        el(
          "span",
          { class: "ballot-place-names" },
          p.candidates.map((cid) => el("span", { class: "ballot-place-name", dir: "auto" }, named.get(cid) ?? cid)),
        ),
      ),
    ),
  );
}

/** The unit of a result's totals: votes, approvals, points, wins. */
function unit(method, count) {
  if (method === "approval") return t("ballot.unit_approvals", { count });
  if (method === "score" || method === "borda") return t("ballot.unit_points", { count });
  if (method === "schulze") return t("ballot.unit_wins", { count });
  return t("ballot.unit_votes", { count });
}

/** The whole result (after the complete reveal): each candidate with its figure, best
 *  first (for instant-runoff, the round it went out in). */
export function resultTable(ballot, result, places) {
  const named = names(ballot);
  const rounds = result.rounds || [];
  const outIn = new Map();
  rounds.forEach((round, index) => round.eliminated.forEach((cid) => outIn.set(cid, index + 1)));
  const order = [...(places || [])].sort((a, b) => a.place - b.place).flatMap((p) => p.candidates);
  const rows = order.map((cid) => {
    let figure;
    if (outIn.has(cid)) figure = t("ballot.out_in_round", { round: outIn.get(cid) });
    else figure = unit(result.method, (result.totals || {})[cid] ?? 0);
    return el(
      "li",
      { class: "ballot-result-row", dataset: { candidate: cid } },
      el("span", { class: "ballot-result-name", dir: "auto" }, named.get(cid) ?? cid),
      el("span", { class: "ballot-result-figure" }, figure),
    );
  });
  return el(
    "div",
    { class: "ballot-result" },
    el("p", { class: "muted small" }, t("ballot.ballots_counted", { count: result.ballots })),
    result.tie ? el("p", { class: "ballot-tie" }, t("ballot.tie")) : null,
    el("ol", { class: "ballot-result-rows" }, rows),
  );
}
