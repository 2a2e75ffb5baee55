// Award ballots on the big screen: while voting is open, the title, the candidates and
// the turnout (never a count: the screen gets none before the reveal); then the staged
// reveal, third place, second place, and the winner's name in large type.

import { $, el, setText } from "../../core/dom.js";
import { formatNumber, t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { mergeActivity, missedChange } from "../../core/sync.js";
import { BALLOT, methodLabel, names, placesList } from "./model.js";

let ctx = null; // the page shell's context (js/screen.js)
let ballot = null;

function mount(shell) {
  ctx = shell;
  ctx.stage.append(
    el(
      "section",
      { id: "screen-ballot", class: "screen-ballot", hidden: true },
      el("p", { id: "screen-ballot-status", class: "screen-status" }),
      el("h1", { id: "screen-ballot-title", class: "screen-question", dir: "auto" }),
      el("div", { id: "screen-ballot-body", class: "screen-ballot-body" }),
    ),
  );
}

function applyState(msg) {
  const activity = msg.activity;
  setBallot(activity && activity.type === BALLOT.type && activity.ballot ? activity.ballot : null);
}

function setBallot(incoming) {
  if (!incoming) {
    ballot = null;
    $("screen-ballot").hidden = true;
    ctx.leaveStage(BALLOT.type);
    return;
  }
  const known = ballot && ballot.id === incoming.id ? ballot : null;
  ballot = mergeActivity(known, incoming);
  if (known && incoming.turnout_seq === undefined) ballot.turnout_seq = known.turnout_seq;
  ctx.enterStage(BALLOT.type);
  render();
}

function render() {
  if (!ballot) return;
  const section = $("screen-ballot");
  section.hidden = false;
  section.dataset.status = ballot.status;
  section.dataset.ballotId = ballot.id;
  setText("screen-ballot-title", ballot.title);
  const status = ballot.status === "open" ? t("ballot.open") : t("ballot.closed");
  setText("screen-ballot-status", `${methodLabel(ballot)} · ${status}`);
  setText(ctx.total, formatNumber(ballot.turnout || 0));
  setText(ctx.totalLabel, t("ballot.ballots_word", { count: ballot.turnout || 0 }));
  const reveal = ballot.reveal;
  const body = [];
  if (reveal && reveal.complete) {
    const winners = (reveal.places.find((p) => p.place === 1) || { candidates: [] }).candidates;
    const named = names(ballot);
    body.push(
      el(
        "div",
        { id: "screen-ballot-winner", class: "screen-ballot-winner" },
        el("p", { class: "screen-ballot-winner-label" }, winners.length > 1 ? t("ballot.tie") : t("ballot.place_1")),
        winners.map((cid) => el("p", { class: "screen-ballot-winner-name", dir: "auto" }, named.get(cid) ?? cid)),
      ),
    );
    const rest = reveal.places.filter((p) => p.place > 1 && p.place <= 3);
    if (rest.length) body.push(placesList(ballot, rest, { id: "screen-ballot-places", className: "ballot-places screen-places" }));
  } else if (reveal) {
    body.push(placesList(ballot, reveal.places, { id: "screen-ballot-places", className: "ballot-places screen-places" }));
  } else {
    body.push(
      el(
        "ul",
        { class: "screen-ballot-candidates" },
        ballot.candidates.map((c) => el("li", { dir: "auto" }, c.name)),
      ),
      el(
        "p",
        { id: "screen-ballot-turnout", class: "screen-ballot-turnout" },
        t("ballot.turnout", { count: ballot.turnout || 0 }),
      ),
      el(
        "p",
        { class: "screen-hidden-note" },
        ballot.status === "open" ? t("ballot.screen_vote_now") : t("ballot.screen_reveal_soon"),
      ),
    );
  }
  $("screen-ballot-body").replaceChildren(...body);
}

function onBallot(msg) {
  if (!msg || !msg.ballot) return;
  if (missedChange(ballot, msg.ballot)) ctx.refresh();
  setBallot(msg.ballot);
}

function onTurnout(msg) {
  if (!ballot || msg.ballot_id !== ballot.id) return;
  if ((msg.seq || 0) < (ballot.turnout_seq || 0)) return;
  ballot.turnout = msg.turnout;
  ballot.turnout_seq = msg.seq;
  render();
}

registerKind({
  ...BALLOT,
  screen: {
    mount,
    applyState,
    clear: () => ballot && setBallot(null),
    localeChanged: render,
    ended: () => {
      $("screen-ballot").hidden = true;
    },
    messages: {
      "ballot:opened": onBallot,
      "ballot:closed": onBallot,
      "ballot:revealed": onBallot,
      "ballot:turnout": onTurnout,
    },
  },
});
