// What every page knows about quizzes: the answer tiles (a colour AND a shape per option,
// so that colour-blind players tell them apart, with the option's label), the server's
// clock (countdowns use the server's time, never the phone's clock alone), how far a
// quiz has got (so that an older copy never replaces a newer one), and how answers,
// distributions and leaderboards read. The messages are in docs/protocol.md
// ("Quizzes"); texts are the catalogue's `quiz.*` messages.

import { userText } from "../../core/a11y.js";
import { el } from "../../core/dom.js";
import { formatNumber, t } from "../../core/i18n.js";

/** The kind's name in the registry (js/core/kinds.js) and on the pages. */
export const QUIZ = { type: "quiz", noun: "quiz" };

export const CHOICE_KINDS = new Set(["single", "multiple"]);

// -- answer tiles: colour and shape ---------------------------------------------------------
/** Option a, b, c, ... -> its tile: a shape and a colour (white text on each colour is
 *  4.5:1 or more). The shape, not the colour, is what the phone and the big screen share
 *  for a colour-blind player; the label says it in words. */
export const TILES = [
  { shape: "triangle", colour: "red" },
  { shape: "diamond", colour: "blue" },
  { shape: "circle", colour: "amber" },
  { shape: "square", colour: "green" },
  { shape: "star", colour: "purple" },
  { shape: "hexagon", colour: "teal" },
];

/** True / false: a blue diamond and a red triangle, as a quiz player expects. */
const TRUEFALSE_TILES = { true: TILES[1], false: TILES[0] };

const SVG_NS = "http://www.w3.org/2000/svg";
const SHAPE_PATHS = {
  triangle: ["polygon", { points: "12,2.5 22.5,21 1.5,21" }],
  diamond: ["polygon", { points: "12,1.5 22.5,12 12,22.5 1.5,12" }],
  circle: ["circle", { cx: "12", cy: "12", r: "10" }],
  square: ["rect", { x: "2.5", y: "2.5", width: "19", height: "19", rx: "1.5" }],
  star: ["polygon", { points: "12,1.5 14.9,8.6 22.5,9.2 16.7,14.1 18.5,21.6 12,17.5 5.5,21.6 7.3,14.1 1.5,9.2 9.1,8.6" }],
  hexagon: ["polygon", { points: "12,1.5 21.5,7 21.5,17 12,22.5 2.5,17 2.5,7" }],
};

/** The shape as an inline SVG, hidden from screen readers (the label is what they read). */
export function shapeIcon(shape) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `quiz-shape shape-${shape}`);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const [tag, attrs] = SHAPE_PATHS[shape] || SHAPE_PATHS.circle;
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  svg.append(node);
  return svg;
}

/** The tiles of a question, in order: `{id, label, shape, colour, typed}` (`typed`: the
 *  label is what the presenter typed, shown with its own direction). */
export function tilesOf(question) {
  if (!question) return [];
  if (CHOICE_KINDS.has(question.kind)) {
    return (question.options || []).map((o, i) => ({ id: o.id, label: o.label, typed: true, ...TILES[i % TILES.length] }));
  }
  if (question.kind === "truefalse") {
    return [
      { id: "true", label: t("quiz.true"), typed: false, ...TRUEFALSE_TILES.true },
      { id: "false", label: t("quiz.false"), typed: false, ...TRUEFALSE_TILES.false },
    ];
  }
  return [];
}

/** A tile's content: the shape and the label. */
export function tileContent(tile) {
  return [
    shapeIcon(tile.shape),
    el("span", { class: "quiz-tile-label", dir: tile.typed ? "auto" : null }, tile.label),
  ];
}

// -- the server's clock -----------------------------------------------------------------------
/**
 * The server's time on this device: `sample(serverMs)` with a welcome's `server_time` or
 * a message's `ts` on receipt; `now()` is then the server's epoch ms, counted with the
 * monotonic `performance.now()`, so that a phone whose clock is wrong (or is changed)
 * still counts down to the server's deadline.
 */
export class ServerClock {
  constructor() {
    this.offset = null;
  }

  sample(serverMs) {
    if (typeof serverMs === "number" && Number.isFinite(serverMs)) this.offset = serverMs - performance.now();
  }

  now() {
    return this.offset === null ? Date.now() : performance.now() + this.offset;
  }

  /** Milliseconds left until `deadline` (server epoch ms), never below 0. */
  left(deadline) {
    return typeof deadline === "number" ? Math.max(0, deadline - this.now()) : 0;
  }
}

/**
 * A countdown redrawn four times a second while a question is open: `draw(msLeft)`;
 * stops by itself at 0 (after drawing 0).
 */
export class Countdown {
  constructor(clock, draw) {
    this.clock = clock;
    this.draw = draw;
    this.deadline = null;
    this.timer = null;
  }

  start(deadline) {
    this.deadline = deadline;
    this.tick();
    if (this.timer === null && this.clock.left(deadline) > 0) {
      this.timer = setInterval(() => this.tick(), 250);
    }
  }

  tick() {
    const left = this.clock.left(this.deadline);
    this.draw(left);
    if (left <= 0) this.stop();
  }

  stop() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Whole seconds left, rounded up (a countdown shows 1 until the last moment). */
export function secondsLeft(ms) {
  return Math.ceil(ms / 1000);
}

// -- how far a quiz has got ---------------------------------------------------------------------
const PHASE_STEP = { draft: -2, lobby: -1, question: 1, reveal: 2 };

/**
 * A number that only grows as a quiz goes on (lobby, question 1, its reveal, question 2,
 * ..., the end), so that a copy built before a broadcast that arrived first (a `welcome`
 * or a `state:get` answer) never takes the page back.
 */
export function progressOf(phase, index) {
  if (phase === "ended") return Number.MAX_SAFE_INTEGER;
  const step = PHASE_STEP[phase];
  if (step === undefined) return -3;
  if (step < 0) return step;
  return (typeof index === "number" ? index : 0) * 3 + step;
}

/**
 * What a whole state (`welcome`, `state:get`) says to a page showing `shown` at
 * `shownProgress`: null when no quiz is on stage; else the quiz's view, its progress,
 * whether it is the quiz shown at the step shown (`sameStep`), or a copy of it built
 * before a broadcast the page already applied (`stale`: keep what is shown).
 */
export function stateStep(activity, shown, shownProgress) {
  if (!activity || activity.type !== QUIZ.type || !activity.quiz) return null;
  const quiz = activity.quiz;
  const progress = progressOf(quiz.phase, quiz.index);
  const same = Boolean(shown) && shown.id === quiz.id;
  return { quiz, progress, sameStep: same && progress === shownProgress, stale: same && progress < shownProgress };
}

// -- answers, distributions, leaderboards ------------------------------------------------------------
/** A stored choice as nodes for a sentence: option labels (as typed, in <bdi>), true or
 *  false, the text or the number typed. */
export function choiceParts(question, choice) {
  if (choice === null || choice === undefined || !question) return [];
  if (CHOICE_KINDS.has(question.kind)) {
    const labels = new Map((question.options || []).map((o) => [o.id, o.label]));
    const ids = Array.isArray(choice) ? choice : [choice];
    const parts = [];
    ids.forEach((id, i) => {
      if (i > 0) parts.push(t("common.list_separator"));
      parts.push(userText(labels.get(id) ?? String(id)));
    });
    return parts;
  }
  if (question.kind === "truefalse") return [t(choice === true || choice === "true" ? "quiz.true" : "quiz.false")];
  if (question.kind === "number" && typeof choice === "number") return [formatNumber(choice, { maximumFractionDigits: 10 })];
  return [userText(String(choice))];
}

/** The correct answer of a reveal, as nodes: the right options' labels, true or false,
 *  the accepted answers, or the number (± its tolerance). */
export function correctParts(question, correct) {
  if (!question || correct === null || correct === undefined) return [];
  if (question.kind === "text" && Array.isArray(correct)) {
    const parts = [];
    correct.forEach((text, i) => {
      if (i > 0) parts.push(t("common.list_separator"));
      parts.push(userText(text));
    });
    return parts;
  }
  if (question.kind === "number" && typeof correct === "object" && !Array.isArray(correct)) {
    const answer = formatNumber(Number(correct.answer), { maximumFractionDigits: 10 });
    if (!correct.tolerance) return [answer];
    return [t("quiz.number_tolerance", { answer, tolerance: formatNumber(Number(correct.tolerance), { maximumFractionDigits: 10 }) })];
  }
  return choiceParts(question, correct);
}

/** The ids (as strings) a reveal marks correct: option ids, or "true" / "false". */
export function correctIds(question, correct) {
  if (!question) return new Set();
  if (question.kind === "truefalse") return new Set([String(correct)]);
  if (CHOICE_KINDS.has(question.kind) && Array.isArray(correct)) return new Set(correct.map(String));
  return new Set();
}

/**
 * The rows of a reveal's distribution for bars: `{id, label, count, correct, tile?}`.
 * Options and true/false in their order; typed answers by count (their most common
 * spelling for text), the accepted ones marked.
 */
export function distributionRows(question, distribution, correct) {
  const counts = (distribution && distribution.counts) || {};
  const tiles = tilesOf(question);
  if (tiles.length) {
    const right = correctIds(question, correct);
    return tiles.map((tile) => ({ id: tile.id, label: tile.label, typed: tile.typed, count: counts[tile.id] || 0, correct: right.has(tile.id), tile }));
  }
  const labels = (distribution && distribution.labels) || {};
  const accepted = question && question.kind === "text" && Array.isArray(correct) ? new Set(correct.map(foldText)) : null;
  const target = question && question.kind === "number" && correct && typeof correct === "object" ? correct : null;
  return Object.entries(counts)
    .filter(([, n]) => typeof n === "number")
    .map(([key, count]) => {
      const label = typeof labels[key] === "string" ? labels[key] : key;
      let right = false;
      if (accepted) right = accepted.has(foldText(label)) || accepted.has(foldText(key));
      if (target) {
        const value = Number(key);
        const tolerance = Number(target.tolerance || 0);
        right = Number.isFinite(value) && Math.abs(value - Number(target.answer)) <= tolerance + 1e-9;
      }
      return { id: key, label, typed: true, count, correct: right };
    })
    .sort((a, b) => b.count - a.count);
}

/** Roughly how the server compares typed answers (case, accents, spaces), for marking
 *  the accepted ones in a distribution; the server's judgement is what scores. */
function foldText(text) {
  return String(text)
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/\s+/g, "")
    .replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, "");
}

/** A list of scores, for the leaderboard and the podium: `{attendee_id, name, score, rank}`. */
export function topOf(message) {
  return Array.isArray(message && message.top) ? message.top : [];
}
