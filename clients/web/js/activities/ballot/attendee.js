// Award ballots on the attendee page: the ballot on stage, filled in (js/activities/
// ballot/composer.js), reviewed, then cast; the receipt; the turnout while it is open;
// the places as they are revealed, the result, and a check that the receipt is in the
// published list. A cast ballot is kept (also in localStorage) until the server
// acknowledges it and re-sent with the same vote_id after a reconnect, a timeout or
// `unavailable`, so it never counts twice. Until the reveal the page shows no count:
// the server sends none (docs/ballots.md, "The seal").

import { announce, focusIfLost } from "../../core/a11y.js";
import { call } from "../../core/connection.js";
import { $, el, setText, storage } from "../../core/dom.js";
import { errorText } from "../../core/errors.js";
import { t, tParts } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { Resender } from "../../core/resend.js";
import { mergeActivity, missedChange, newVoteId } from "../../core/sync.js";
import { buildComposer } from "./composer.js";
import { BALLOT, choiceParts, hintFor, methodLabel, placeLabel, placesList, resultTable } from "./model.js";

const castKey = (code) => `plenary.ballots.${code}`; // ballot_id -> {receipt, choice}
const pendingKey = (code) => `plenary.ballot-pending.${code}`;

let ctx = null; // the page shell's context (js/attendee.js)
let composer = null;
let caster = null; // sends `state.pending` (core/resend.js)
const state = {
  me: null, // the attendee (welcome): id, organisation, joined_at
  ballot: null, // the ballot on stage
  mine: null, // the server's view of this attendee on it (welcome / state:get)
  cast: {}, // ballot_id -> {receipt, choice}, as acknowledged
  codes: {}, // ballot_id -> true once a voting code was accepted
  step: "compose", // compose | review | done
  draft: null, // the choice being reviewed
  pending: null, // {ballot_id, choice, vote_id}: sent or to send, not yet acknowledged
  note: null, // {kind, parts: () => [text or nodes]}
  verified: null, // () => parts of the receipt check's outcome
  builtFor: null,
};

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  caster = new Resender(ctx, "ballot:cast", {
    pending: () => state.pending,
    acked: onCastAcked,
    refused: onCastRefused,
    retrying: (vote, error, seconds) => {
      state.note = { kind: "info", parts: () => [errorText(error), " ", t("ballot.retrying", { seconds })] };
      renderStatus();
    },
    notConnected: renderStatus,
    offline: render,
  });
  const heading = (id, key) => el("h2", { id, class: "ballot-subheading", tabindex: "-1", dataset: { i18n: key } }, t(key));
  ctx.stage.append(
    el(
      "article",
      { id: "ballot", class: "card ballot", hidden: true },
      el("p", { id: "ballot-method", class: "eyebrow" }),
      el("h1", { id: "ballot-title", class: "question", dir: "auto", tabindex: "-1" }),
      el("p", { id: "ballot-state", class: "ballot-state" }),
      el("p", { id: "ballot-eligibility", class: "ballot-eligibility", hidden: true }),
      el(
        "form",
        { id: "ballot-code-form", class: "ballot-code-form", hidden: true, novalidate: true },
        el("label", { for: "ballot-code", dataset: { i18n: "ballot.code_label" } }, t("ballot.code_label")),
        el("input", { id: "ballot-code", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", maxlength: 64, "aria-describedby": "ballot-eligibility" }),
        el("button", { id: "ballot-code-submit", type: "submit", class: "button primary big", dataset: { i18n: "ballot.code_submit" } }, t("ballot.code_submit")),
      ),
      el(
        "div",
        { id: "ballot-compose-step", hidden: true },
        el("p", { id: "ballot-hint", class: "muted small" }),
        el("div", { id: "ballot-composer", class: "ballot-composer" }),
        el("button", { id: "ballot-review", type: "button", class: "button primary big", dataset: { i18n: "ballot.review" } }, t("ballot.review")),
      ),
      el(
        "section",
        { id: "ballot-review-step", hidden: true, "aria-labelledby": "ballot-review-heading" },
        heading("ballot-review-heading", "ballot.review_title"),
        el("p", { id: "ballot-summary", class: "ballot-summary" }),
        el(
          "div",
          { class: "ballot-review-actions" },
          el("button", { id: "ballot-back", type: "button", class: "button", dataset: { i18n: "ballot.back" } }, t("ballot.back")),
          el("button", { id: "ballot-submit", type: "button", class: "button primary", dataset: { i18n: "ballot.cast" } }, t("ballot.cast")),
        ),
      ),
      el(
        "section",
        { id: "ballot-receipt", class: "ballot-receipt", hidden: true, "aria-labelledby": "ballot-receipt-heading" },
        heading("ballot-receipt-heading", "ballot.receipt_title"),
        el("p", { id: "ballot-receipt-text" }),
        el("p", { id: "ballot-receipt-choice", class: "small" }),
        el("p", { class: "muted small", dataset: { i18n: "ballot.receipt_keep" } }, t("ballot.receipt_keep")),
        el("button", { id: "ballot-change", type: "button", class: "button", dataset: { i18n: "ballot.change" } }, t("ballot.change")),
      ),
      el("p", { id: "ballot-closed", class: "closed-banner", hidden: true, dataset: { i18n: "ballot.closed" } }, t("ballot.closed")),
      el("p", { id: "ballot-status", class: "answer-status", role: "status", "aria-live": "polite" }),
      el(
        "section",
        { id: "ballot-reveal", class: "ballot-reveal", hidden: true, "aria-labelledby": "ballot-reveal-heading" },
        heading("ballot-reveal-heading", "ballot.result_title"),
        el("div", { id: "ballot-places-box" }),
        el("button", { id: "ballot-verify", type: "button", class: "button", hidden: true, dataset: { i18n: "ballot.verify" } }, t("ballot.verify")),
        el("p", { id: "ballot-verify-result", role: "status", "aria-live": "polite" }),
      ),
    ),
  );
  $("ballot-code-form").addEventListener("submit", onClaim);
  $("ballot-review").addEventListener("click", onReview);
  $("ballot-back").addEventListener("click", () => goTo("compose", "ballot-title"));
  $("ballot-submit").addEventListener("click", onCast);
  $("ballot-change").addEventListener("click", () => goTo("compose", "ballot-title"));
  $("ballot-verify").addEventListener("click", onVerify);
}

function start() {
  state.cast = storage.get(castKey(ctx.code)) || {};
  state.pending = storage.get(pendingKey(ctx.code));
}

function forget(code) {
  storage.set(castKey(code), null);
  storage.set(pendingKey(code), null);
  if (code !== ctx.code) return;
  caster.cancel();
  Object.assign(state, { ballot: null, mine: null, cast: {}, codes: {}, pending: null, note: null, verified: null });
}

function stop() {
  caster.cancel();
  state.pending = null;
  storage.set(pendingKey(ctx.code), null);
}

function applyState(msg) {
  state.me = msg.attendee || state.me;
  const activity = msg.activity;
  if (activity && activity.type === BALLOT.type && activity.ballot) {
    const ballot = activity.ballot;
    state.mine = ballot.mine || null;
    if (state.mine && state.mine.receipt) remember(ballot.id, state.mine.receipt, state.mine.choice);
    if (state.mine && state.mine.has_code) state.codes[ballot.id] = true;
    setBallot(ballot);
  } else {
    setBallot(null);
  }
  caster.flush();
}

function clear() {
  if (state.ballot) setBallot(null);
}

function localeChanged() {
  state.builtFor = null;
  render();
}

// -- server messages ----------------------------------------------------------------------
function onBallot(msg) {
  if (!msg || !msg.ballot) return;
  if (missedChange(state.ballot, msg.ballot)) ctx.refresh();
  setBallot(msg.ballot);
}

function onTurnout(msg) {
  const ballot = state.ballot;
  if (!ballot || !msg || msg.ballot_id !== ballot.id) return;
  if ((msg.seq || 0) < (ballot.turnout_seq || 0)) return; // an older copy
  ballot.turnout = msg.turnout;
  ballot.turnout_seq = msg.seq;
  renderState();
}

// -- the ballot on stage --------------------------------------------------------------------
function setBallot(incoming) {
  if (!incoming) {
    state.ballot = null;
    ctx.leaveStage(BALLOT.type);
    render();
    return;
  }
  const known = state.ballot && state.ballot.id === incoming.id ? state.ballot : null;
  const merged = mergeActivity(known, incoming);
  delete merged.mine;
  if (!known) {
    state.note = null;
    state.verified = null;
    state.step = state.cast[incoming.id] ? "done" : "compose";
    if (!incoming.mine) state.mine = null; // a broadcast: worked out here (mineNow)
  }
  state.ballot = merged;
  ctx.enterStage(BALLOT.type);
  render();
  focusIfLost($("ballot-title"));
  const place = (merged.reveal && merged.reveal.from) || null;
  const before = (known && known.reveal && known.reveal.from) || null;
  if (merged.status === "open" && !(known && known.status === "open")) {
    announce(t("ballot.announce_opened", { title: merged.title }));
  } else if (merged.status === "closed" && known && known.status === "open") {
    announce(t("ballot.announce_closed"));
  } else if (place && place !== before) {
    // The places the reveal just added (those above the ones shown before).
    const named = new Map(merged.candidates.map((c) => [c.id, c.name]));
    const lines = merged.reveal.places
      .filter((p) => !before || p.place < before)
      .sort((a, b) => b.place - a.place)
      .map((p) =>
        t("ballot.announce_place", {
          place: placeLabel(p.place),
          names: p.candidates.map((c) => named.get(c)).join(t("common.list_separator")),
        }),
      );
    if (lines.length) announce(lines.join(" "));
  }
}

/** What this attendee may do on the ballot: the server's view (welcome), else worked out
 *  from the broadcast ballot and the attendee's record, as the server decides it. */
function mineNow() {
  const ballot = state.ballot;
  if (state.mine) return { ...state.mine, has_code: state.mine.has_code || Boolean(state.codes[ballot.id]) };
  const me = state.me || {};
  const key = (text) => String(text || "").normalize("NFKC").replace(/\s+/g, " ").trim().toLowerCase();
  const rules = ballot.eligibility || {};
  const own = key(me.organisation);
  const excluded =
    rules.exclude_own === false
      ? []
      : ballot.candidates
          .filter((c) => c.attendee_id === me.id || (own && key(c.organisation) === own))
          .map((c) => c.id);
  const hasCode = Boolean(state.codes[ballot.id]);
  let reason = null;
  if (rules.joined_before_open && ballot.opened_at && (me.joined_at || 0) >= ballot.opened_at) reason = "joined_late";
  else if (excluded.length >= ballot.candidates.length) reason = "no_candidate";
  else if (rules.voter_roll && !hasCode) reason = "needs_code";
  return { eligible: reason === null, reason, excluded, has_code: hasCode };
}

function remember(ballotId, receipt, choice) {
  state.cast[ballotId] = { receipt, choice };
  storage.set(castKey(ctx.code), state.cast);
}

function goTo(step, focusId) {
  state.step = step;
  render();
  const node = $(focusId);
  if (node) node.focus();
}

function render() {
  const ballot = state.ballot;
  $("ballot").hidden = !ballot;
  if (!ballot) {
    state.builtFor = null;
    return;
  }
  const article = $("ballot");
  article.dataset.ballotId = ballot.id;
  article.dataset.method = ballot.method;
  article.dataset.status = ballot.status;
  article.dataset.step = state.step;
  setText("ballot-method", t("ballot.eyebrow", { method: methodLabel(ballot) }));
  setText("ballot-title", ballot.title);
  const mine = mineNow();
  const open = ballot.status === "open";
  const cast = state.cast[ballot.id];
  const sending = Boolean(state.pending && state.pending.ballot_id === ballot.id);
  // Who may not vote is told so, with the reason; a voting code is asked for.
  const refused = !mine.eligible && mine.reason !== "needs_code";
  const eligibility = $("ballot-eligibility");
  eligibility.hidden = mine.eligible || !open;
  setText(eligibility, mine.reason ? reasonText(mine.reason) : "");
  $("ballot-code-form").hidden = !(open && mine.reason === "needs_code");
  const composing = open && mine.eligible && !sending && (state.step === "compose" || (!cast && state.step === "done"));
  const buildKey = `${ballot.id}:${ballot.method}:${mine.excluded.join()}`;
  if (state.builtFor !== buildKey) {
    composer = buildComposer($("ballot-composer"), ballot, { excluded: mine.excluded, onChange: () => (state.note = null) });
    composer.set(cast ? cast.choice : null);
    state.builtFor = buildKey;
  }
  $("ballot-compose-step").hidden = !composing;
  setText("ballot-hint", hintFor(ballot) + (ballot.max_choices ? ` ${t("ballot.max_choices", { count: ballot.max_choices })}` : ""));
  $("ballot-review-step").hidden = !(open && mine.eligible && state.step === "review" && !sending);
  const showReceipt = Boolean(cast) && !refused && (state.step === "done" || !open) && !sending;
  $("ballot-receipt").hidden = !showReceipt;
  if (cast) {
    $("ballot-receipt-text").replaceChildren(
      ...tParts("ballot.receipt_text", { receipt: el("strong", { id: "ballot-receipt-code", class: "receipt-code" }, cast.receipt) }),
    );
    $("ballot-receipt-choice").replaceChildren(...tParts("ballot.your_ballot", { choice: el("span", {}, choiceParts(ballot, cast.choice)) }));
  }
  $("ballot-change").hidden = !open;
  $("ballot-closed").hidden = ballot.status !== "closed";
  renderState();
  renderReveal();
  renderStatus();
}

function reasonText(reason) {
  if (reason === "joined_late") return t("ballot.not_eligible_joined_late");
  if (reason === "no_candidate") return t("ballot.not_eligible_no_candidate");
  return t("ballot.code_hint");
}

/** "Voting open · 12 ballots cast": the turnout is the only figure before the reveal. */
function renderState() {
  const ballot = state.ballot;
  if (!ballot) return;
  const status = ballot.status === "open" ? t("ballot.open") : t("ballot.closed");
  setText("ballot-state", `${status} · ${t("ballot.turnout", { count: ballot.turnout || 0 })}`);
}

function renderReveal() {
  const ballot = state.ballot;
  const reveal = ballot.reveal;
  $("ballot-reveal").hidden = !reveal;
  if (!reveal) return;
  const box = $("ballot-places-box");
  const parts = [placesList(ballot, reveal.places, { id: "ballot-places" })];
  if (reveal.complete && ballot.result) parts.push(resultTable(ballot, ballot.result, reveal.places));
  box.replaceChildren(...parts);
  const cast = state.cast[ballot.id];
  $("ballot-verify").hidden = !(reveal.complete && cast);
  const result = $("ballot-verify-result");
  result.replaceChildren(...(state.verified ? state.verified() : []));
}

/** "#ballot-status": sending, an error, a retry. */
function renderStatus() {
  const node = $("ballot-status");
  const ballot = state.ballot;
  if (!ballot) return;
  let parts = [];
  let kind = "";
  const pending = state.pending && state.pending.ballot_id === ballot.id ? state.pending : null;
  if (pending) {
    const connected = ctx.socket && ctx.socket.connected;
    parts = [connected ? t("ballot.sending") : t("ballot.offline")];
    if (state.note && state.note.kind === "info") parts = state.note.parts();
    kind = "sending";
  } else if (state.note) {
    parts = state.note.parts();
    kind = state.note.kind;
  }
  node.dataset.state = kind;
  const next = el("span", {}, parts);
  if (next.textContent !== node.textContent || node.dataset.lang !== document.documentElement.lang) {
    node.replaceChildren(...next.childNodes);
    node.dataset.lang = document.documentElement.lang;
  }
}

// -- the voter's actions ----------------------------------------------------------------------
async function onClaim(evt) {
  evt.preventDefault();
  const ballot = state.ballot;
  const code = $("ballot-code").value.trim();
  if (!ballot || !code) return;
  $("ballot-code-submit").disabled = true;
  const ack = await call(ctx.socket, "ballot:claim", { ballot_id: ballot.id, voting_code: code });
  $("ballot-code-submit").disabled = false;
  if (ack.ok) {
    state.codes[ballot.id] = true;
    if (state.mine) state.mine = { ...state.mine, has_code: true, eligible: true, reason: null };
    state.note = { kind: "saved", parts: () => [t("ballot.code_ok")] };
    $("ballot-code").value = "";
    render();
    focusIfLost($("ballot-title"));
    return;
  }
  state.note = { kind: "error", parts: () => [ack.error && ack.error.code === "not_eligible" ? t("ballot.code_refused") : errorText(ack.error)] };
  renderStatus();
}

function onReview() {
  const choice = composer ? composer.get() : null;
  if (choice === null) {
    state.note = { kind: "error", parts: () => [t("ballot.choose_first")] };
    renderStatus();
    return;
  }
  state.note = null;
  state.draft = choice;
  $("ballot-summary").replaceChildren(...choiceParts(state.ballot, choice));
  goTo("review", "ballot-review-heading");
}

function onCast() {
  const ballot = state.ballot;
  if (!ballot || ballot.status !== "open" || !state.draft) return;
  caster.restart();
  state.pending = { ballot_id: ballot.id, choice: state.draft, vote_id: newVoteId() };
  state.note = null;
  storage.set(pendingKey(ctx.code), state.pending);
  render();
  caster.send();
}

function onCastAcked(vote, ack) {
  remember(vote.ballot_id, ack.receipt, ack.choice);
  done(null);
  state.step = "done";
  render();
  if (state.ballot && state.ballot.id === vote.ballot_id) $("ballot-receipt-heading").focus();
}

/** Refused for good (closed, not eligible, a bad choice): nothing was stored. */
function onCastRefused(vote, error) {
  done({ kind: "error", parts: () => [errorText(error)] });
  state.step = "compose";
  render();
}

function done(note) {
  state.pending = null;
  state.note = note;
  storage.set(pendingKey(ctx.code), null);
}

async function onVerify() {
  const ballot = state.ballot;
  const cast = ballot && state.cast[ballot.id];
  if (!cast) return;
  const ack = await call(ctx.socket, "ballot:published", { ballot_id: ballot.id });
  if (!ack.ok) {
    state.verified = () => [errorText(ack.error)];
  } else {
    const found = (ack.cast || []).find((entry) => entry.receipt === cast.receipt);
    const receipt = el("strong", { class: "receipt-code" }, cast.receipt);
    state.verified = found
      ? () => tParts("ballot.verify_found", { receipt, choice: el("span", {}, choiceParts(ballot, found.choice)) })
      : () => tParts("ballot.verify_missing", { receipt });
  }
  renderReveal();
}

registerKind({
  ...BALLOT,
  attendee: {
    mount,
    start,
    forget,
    stop,
    applyState,
    clear,
    localeChanged,
    connectionChanged: renderStatus,
    messages: {
      "ballot:opened": onBallot,
      "ballot:closed": onBallot,
      "ballot:revealed": onBallot,
      "ballot:turnout": onTurnout,
    },
  },
});
