// Pitch sessions on the attendee page: the pitch on now (title, organisation, speaker,
// description, link), a 1-5 star rating (native radio buttons: arrow keys move between
// them, each one labelled), a feedback box for the pitcher, and for jurors the criteria
// with a score each and a comment. The pitches already on are listed: choosing one rates
// it instead, until the session closes. What is sent is kept until the server acks it
// and re-sent with the same vote_id after a reconnect, a timeout or `unavailable`, so it
// counts once; the ack is confirmed in words, a refusal shown by its error code.

import { announce, focusIfLost } from "../../core/a11y.js";
import { call } from "../../core/connection.js";
import { $, el, setText } from "../../core/dom.js";
import { errorText } from "../../core/errors.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { RETRYABLE, retryDelay } from "../../core/resend.js";
import { missedChange, newVoteId } from "../../core/sync.js";
import { FEEDBACK_MAX, JURY_SCORES, PITCH, STARS, mergeSession, pitchOf, pitchesSoFar } from "./model.js";

const SEND_TIMEOUT_MS = 8000;
const EMPTY = () => ({ ratings: {}, feedback: {}, jury: {} });

let ctx = null; // the page shell's context (js/attendee.js)
const state = {
  me: null, // the attendee (welcome)
  session: null, // the session on stage
  mine: EMPTY(), // what the server stored of this attendee's (welcome, then acks)
  selected: null, // the pitch being rated (the one on now unless another was chosen)
  pending: new Map(), // "what:pitch" -> {event, payload, what}: sent, not acked yet
  retryTimer: null,
  attempts: 0,
  note: null, // {kind, text: () => string}
  builtFor: null, // the session and pitch the forms were built for
};

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  const text = (tag, id, key, attrs = {}) => el(tag, { id, dataset: { i18n: key }, ...attrs }, t(key));
  const stars = STARS.map((n) =>
    el(
      "label",
      { class: "pitch-star", for: `pitch-star-${n}` },
      el("input", { id: `pitch-star-${n}`, type: "radio", name: "pitch-stars", value: String(n) }),
      el("span", { class: "pitch-star-glyph", "aria-hidden": "true" }, `${n} ★`),
      el("span", { id: `pitch-star-label-${n}`, class: "visually-hidden" }),
    ),
  );
  ctx.stage.append(
    el(
      "article",
      { id: "pitch", class: "card pitch", hidden: true },
      el("p", { id: "pitch-session-title", class: "eyebrow", dir: "auto" }),
      el("p", { id: "pitch-place", class: "muted small" }),
      el("h1", { id: "pitch-title", class: "question", dir: "auto", tabindex: "-1" }),
      el("p", { id: "pitch-who", class: "pitch-who" }),
      el("p", { id: "pitch-description", class: "pitch-description", dir: "auto" }),
      el("p", {}, el("a", { id: "pitch-link", class: "pitch-link", target: "_blank", rel: "noopener noreferrer", hidden: true })),
      text("p", "pitch-waiting", "pitch.waiting", { class: "muted" }),
      text("p", "pitch-closed", "pitch.closed", { class: "closed-banner", hidden: true }),
      el(
        "div",
        { id: "pitch-give" },
        el(
          "fieldset",
          { id: "pitch-rating", class: "pitch-rating plain-fieldset" },
          el("legend", { id: "pitch-rating-legend" }),
          el("div", { class: "pitch-stars" }, stars),
        ),
        el(
          "form",
          { id: "pitch-feedback-form", class: "pitch-feedback-form", novalidate: true },
          el("label", { for: "pitch-feedback", id: "pitch-feedback-label" }),
          el("textarea", { id: "pitch-feedback", rows: 3, maxlength: FEEDBACK_MAX, dir: "auto", "aria-describedby": "pitch-feedback-count" }),
          el("p", { id: "pitch-feedback-count", class: "muted small" }),
          text("button", "pitch-feedback-send", "pitch.feedback_send", { type: "submit", class: "button primary" }),
        ),
        el(
          "form",
          { id: "pitch-jury", class: "pitch-jury", hidden: true, novalidate: true, "aria-labelledby": "pitch-jury-title" },
          text("h2", "pitch-jury-title", "pitch.jury_title"),
          text("p", "pitch-jury-hint", "pitch.jury_hint", { class: "muted small" }),
          el("div", { id: "pitch-jury-criteria", class: "pitch-jury-criteria" }),
          text("label", "pitch-jury-comment-label", "pitch.jury_comment", { for: "pitch-jury-comment" }),
          el("textarea", { id: "pitch-jury-comment", rows: 2, maxlength: FEEDBACK_MAX, dir: "auto" }),
          text("button", "pitch-jury-send", "pitch.jury_send", { type: "submit", class: "button primary" }),
        ),
      ),
      el("p", { id: "pitch-status", class: "answer-status", role: "status", "aria-live": "polite" }),
      el(
        "section",
        { id: "pitch-so-far", class: "pitch-so-far", hidden: true, "aria-labelledby": "pitch-so-far-title" },
        text("h2", "pitch-so-far-title", "pitch.so_far_title"),
        el("ul", { id: "pitch-so-far-list", class: "pitch-so-far-list" }),
      ),
    ),
  );
  $("pitch-rating").addEventListener("change", onStars);
  $("pitch-feedback-form").addEventListener("submit", onFeedback);
  $("pitch-feedback").addEventListener("input", renderCount);
  $("pitch-jury").addEventListener("submit", onJury);
  $("pitch-so-far-list").addEventListener("click", onChoosePitch);
}

function applyState(msg) {
  state.me = msg.attendee || state.me;
  const activity = msg.activity;
  if (activity && activity.type === PITCH.type && activity.session) {
    const mine = activity.session.mine;
    if (mine) state.mine = { ...EMPTY(), ...mine };
    setSession(activity.session);
  } else {
    setSession(null);
  }
  flush();
}

function clear() {
  if (state.session) setSession(null);
}

function forget(code) {
  if (code !== ctx.code) return;
  clearTimeout(state.retryTimer);
  Object.assign(state, { session: null, mine: EMPTY(), selected: null, pending: new Map(), note: null, builtFor: null });
}

function stop() {
  clearTimeout(state.retryTimer);
  state.pending.clear();
}

function localeChanged() {
  state.builtFor = null;
  render();
}

// -- server messages ----------------------------------------------------------------------
function onSession(msg) {
  if (!msg || !msg.session) return;
  if (missedChange(state.session, msg.session)) ctx.refresh();
  setSession(msg.session);
}

function setSession(incoming) {
  if (!incoming) {
    state.session = null;
    ctx.leaveStage(PITCH.type);
    render();
    return;
  }
  const known = state.session && state.session.id === incoming.id ? state.session : null;
  // Another session (a broadcast carries no `mine`): nothing given to it yet.
  if (!known) state.mine = incoming.mine ? { ...EMPTY(), ...incoming.mine } : EMPTY();
  const merged = mergeSession(known, incoming);
  delete merged.mine;
  state.session = merged;
  // A new pitch on now: rate that one.
  if (!known || known.now !== merged.now || !pitchesSoFar(merged).some((p) => p.id === state.selected)) {
    if (!known || known.now !== merged.now) state.note = null;
    state.selected = merged.now;
  }
  ctx.enterStage(PITCH.type);
  render();
  focusIfLost($("pitch-title"));
  const pitch = pitchOf(merged, merged.now);
  if (pitch && (!known || known.now !== merged.now)) announce(t("pitch.announce_now", { title: pitch.title, speaker: pitch.speaker }));
  else if (merged.status === "closed" && known && known.status === "open") announce(t("pitch.closed"));
}

const isJuror = () => {
  const session = state.session;
  return Boolean(session && state.me && (session.jurors || []).includes(state.me.id) && (session.criteria || []).length);
};

// -- drawing ------------------------------------------------------------------------------
function render() {
  const session = state.session;
  $("pitch").hidden = !session;
  if (!session) return;
  const article = $("pitch");
  article.dataset.sessionId = session.id;
  article.dataset.status = session.status;
  article.dataset.now = session.now || "";
  setText("pitch-session-title", session.title);
  const pitch = pitchOf(session, state.selected);
  const open = session.status === "open";
  $("pitch-waiting").hidden = Boolean(pitch) || !open;
  $("pitch-closed").hidden = session.status !== "closed";
  const index = pitch ? session.pitches.indexOf(pitch) + 1 : 0;
  setText("pitch-place", pitch ? `${t("pitch.place", { place: index, count: session.pitches.length })}${pitch.id === session.now ? "" : ` · ${t("pitch.earlier")}`}` : "");
  setText("pitch-title", pitch ? pitch.title : session.title);
  setText("pitch-who", pitch ? t("pitch.who", { organisation: pitch.organisation, speaker: pitch.speaker }) : "");
  setText("pitch-description", pitch ? pitch.description : "");
  $("pitch-description").hidden = !(pitch && pitch.description);
  const link = $("pitch-link");
  link.hidden = !(pitch && pitch.link);
  if (pitch && pitch.link) {
    link.href = pitch.link;
    setText(link, t("pitch.link"));
  }
  $("pitch-give").hidden = !(pitch && open);
  if (pitch) renderForms(pitch);
  renderSoFar();
  renderStatus();
}

function renderForms(pitch) {
  const session = state.session;
  setText("pitch-rating-legend", t("pitch.rating_legend", { title: pitch.title }));
  for (const n of STARS) setText(`pitch-star-label-${n}`, t("pitch.stars", { count: n }));
  const pendingStars = state.pending.get(`ratings:${pitch.id}`);
  const stars = pendingStars ? pendingStars.payload.stars : state.mine.ratings[pitch.id];
  for (const n of STARS) $(`pitch-star-${n}`).checked = stars === n;
  setText("pitch-feedback-label", t("pitch.feedback_label", { speaker: pitch.speaker }));
  const juror = isJuror();
  $("pitch-jury").hidden = !juror;
  // The text boxes are filled from what was stored when another pitch is chosen (never
  // while the attendee types).
  const key = `${session.id}:${pitch.id}:${juror}`;
  if (state.builtFor !== key) {
    state.builtFor = key;
    $("pitch-feedback").value = state.mine.feedback[pitch.id] || "";
    if (juror) buildJury(pitch);
  }
  renderCount();
}

function buildJury(pitch) {
  const given = state.mine.jury[pitch.id] || { scores: {}, comment: "" };
  $("pitch-jury-criteria").replaceChildren(
    ...state.session.criteria.map((c) =>
      el(
        "p",
        { class: "pitch-jury-criterion" },
        el("label", { for: `pitch-jury-${c.id}`, dir: "auto" }, t("pitch.jury_score_label", { criterion: c.name })),
        el("input", {
          id: `pitch-jury-${c.id}`,
          type: "number",
          inputmode: "numeric",
          min: JURY_SCORES.min,
          max: JURY_SCORES.max,
          step: 1,
          value: given.scores[c.id] ?? "",
          dataset: { criterion: c.id },
        }),
      ),
    ),
  );
  $("pitch-jury-comment").value = given.comment || "";
}

function renderCount() {
  const length = $("pitch-feedback").value.length;
  setText("pitch-feedback-count", t("pitch.feedback_count", { count: length, max: FEEDBACK_MAX }));
}

function renderSoFar() {
  const session = state.session;
  const earlier = session.status === "open" ? pitchesSoFar(session) : [];
  $("pitch-so-far").hidden = earlier.length < 2;
  const list = $("pitch-so-far-list");
  // The list is drawn anew on every change (a new pitch on, an ack): a pitch's button
  // that had the focus keeps it.
  const active = list.contains(document.activeElement) ? document.activeElement.dataset.pitchId : null;
  list.replaceChildren(
    ...earlier.map((p) => {
      const stars = state.mine.ratings[p.id];
      const yours = stars ? t("pitch.your_rating", { count: stars }) : t("pitch.not_rated");
      return el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "button pitch-choose", dataset: { pitchId: p.id }, "aria-pressed": String(p.id === state.selected) },
          el("span", { class: "pitch-choose-title", dir: "auto" }, p.title),
          el("span", { class: "pitch-choose-mine" }, p.id === session.now ? `${t("pitch.on_now")} · ${yours}` : yours),
        ),
      );
    }),
  );
  const again = active && list.querySelector(`button[data-pitch-id="${CSS.escape(active)}"]`);
  if (again && !$("pitch-so-far").hidden) again.focus();
}

function renderStatus() {
  const node = $("pitch-status");
  const waiting = [...state.pending.values()].length > 0;
  let text = "";
  let kind = "";
  if (state.note) {
    text = state.note.text();
    kind = state.note.kind;
  } else if (waiting) {
    text = ctx.socket && ctx.socket.connected ? t("pitch.sending") : t("pitch.offline");
    kind = "sending";
  }
  node.dataset.state = kind;
  if (node.textContent !== text) setText(node, text);
}

// -- the attendee's actions ----------------------------------------------------------------
function onChoosePitch(evt) {
  const button = evt.target.closest("button[data-pitch-id]");
  if (!button) return;
  state.selected = button.dataset.pitchId;
  state.note = null;
  render();
  $("pitch-title").focus();
}

function onStars(evt) {
  const input = evt.target.closest("input[name=pitch-stars]");
  if (!input || !state.selected) return;
  give("ratings", "pitch:rate", { stars: Number(input.value) });
}

function onFeedback(evt) {
  evt.preventDefault();
  if (!state.selected) return;
  give("feedback", "pitch:feedback", { text: $("pitch-feedback").value });
}

function onJury(evt) {
  evt.preventDefault();
  if (!state.selected) return;
  const scores = {};
  for (const input of $("pitch-jury-criteria").querySelectorAll("input[data-criterion]")) {
    const value = Number(input.value);
    if (!input.value || !Number.isInteger(value) || value < JURY_SCORES.min || value > JURY_SCORES.max) {
      state.note = { kind: "error", text: () => t("pitch.jury_incomplete") };
      renderStatus();
      input.focus();
      return;
    }
    scores[input.dataset.criterion] = value;
  }
  give("jury", "pitch:jury", { scores, comment: $("pitch-jury-comment").value });
}

function give(what, event, fields) {
  const session = state.session;
  if (!session || session.status !== "open") return;
  const pitchId = state.selected;
  const payload = { session_id: session.id, pitch_id: pitchId, vote_id: newVoteId(), ...fields };
  state.pending.set(`${what}:${pitchId}`, { event, payload, what });
  state.note = null;
  state.attempts = 0;
  renderStatus();
  flush();
}

function flush() {
  clearTimeout(state.retryTimer);
  for (const entry of state.pending.values()) if (!entry.inFlight) send(entry);
}

async function send(entry) {
  if (!ctx.socket || !ctx.socket.connected) return renderStatus(); // again after the next welcome
  entry.inFlight = true;
  const ack = await call(ctx.socket, entry.event, entry.payload, SEND_TIMEOUT_MS);
  entry.inFlight = false;
  const key = `${entry.what}:${entry.payload.pitch_id}`;
  if (state.pending.get(key) !== entry) return; // replaced by a newer one, or left
  const session = state.session;
  const pitch = pitchOf(session, entry.payload.pitch_id);
  const title = pitch ? pitch.title : entry.payload.pitch_id;
  if (ack.ok) {
    state.pending.delete(key);
    state.attempts = 0;
    const stored = ack[entry.what];
    if (entry.what === "feedback" && !stored) delete state.mine.feedback[entry.payload.pitch_id];
    else state.mine[entry.what][entry.payload.pitch_id] = stored;
    state.note = { kind: "saved", text: () => savedText(entry.what, stored, title) };
    render();
    return;
  }
  const error = ack.error || {};
  if (RETRYABLE.has(error.code)) {
    if (error.code === "offline") return renderStatus();
    state.attempts += 1;
    const delay = retryDelay(error, state.attempts);
    state.note = { kind: "info", text: () => `${errorText(error)} ${t("pitch.retrying", { seconds: Math.ceil(delay / 1000) })}` };
    renderStatus();
    state.retryTimer = setTimeout(flush, delay + Math.random() * 300);
    return;
  }
  // Refused for good (closed, too long...): nothing was stored; show what is.
  state.pending.delete(key);
  state.builtFor = null;
  state.note = { kind: "error", text: () => t("pitch.refused", { error: errorText(error) }) };
  render();
}

function savedText(what, stored, title) {
  if (what === "ratings") return t("pitch.saved_rating", { count: stored, title });
  if (what === "jury") return t("pitch.saved_jury", { title });
  return stored ? t("pitch.saved_feedback", { title }) : t("pitch.removed_feedback", { title });
}

registerKind({
  ...PITCH,
  attendee: {
    mount,
    forget,
    stop,
    applyState,
    clear,
    localeChanged,
    connectionChanged: renderStatus,
    messages: {
      "pitch:opened": onSession,
      "pitch:now": onSession,
      "pitch:timer": onSession,
      "pitch:updated": onSession,
      "pitch:closed": onSession,
    },
  },
});
