// Pitch sessions on the big screen: the pitch on now (title, organisation, speaker,
// "Pitch 2 of 5") and its timer counting down on the server's clock (from `now_at`, as
// the quiz and café screens do). Nothing else: no ratings, no feedback, no jurors.

import { ServerClock, clockText } from "../../core/clock.js";
import { $, el, setText } from "../../core/dom.js";
import { t } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { missedChange } from "../../core/sync.js";
import { PITCH, mergeSession, pitchOf, placeOfNow, timerEndsAt } from "./model.js";

let ctx = null; // the page shell's context (js/screen.js)
const clock = new ServerClock();
let session = null;
let ticker = null;

function mount(shell) {
  ctx = shell;
  ctx.stage.append(
    el(
      "section",
      { id: "screen-pitch", class: "screen-pitch", hidden: true },
      el("p", { id: "screen-pitch-status", class: "screen-status", dir: "auto" }),
      el("h1", { id: "screen-pitch-title", class: "screen-question", dir: "auto" }),
      el("p", { id: "screen-pitch-organisation", class: "screen-pitch-organisation", dir: "auto" }),
      el("p", { id: "screen-pitch-speaker", class: "screen-pitch-speaker", dir: "auto" }),
      el("p", { id: "screen-pitch-timer", class: "screen-pitch-timer", role: "timer", hidden: true }),
      el("p", { id: "screen-pitch-note", class: "screen-hidden-note" }),
    ),
  );
}

function applyState(msg) {
  clock.learn(msg.server_time);
  const activity = msg.activity;
  setSession(activity && activity.type === PITCH.type && activity.session ? activity.session : null);
}

function setSession(incoming) {
  if (!incoming) {
    session = null;
    stopTicker();
    $("screen-pitch").hidden = true;
    ctx.leaveStage(PITCH.type);
    return;
  }
  const known = session && session.id === incoming.id ? session : null;
  session = mergeSession(known, incoming);
  ctx.enterStage(PITCH.type);
  ctx.showTotal(false);
  render();
}

function render() {
  if (!session) return;
  const section = $("screen-pitch");
  section.hidden = false;
  section.dataset.sessionId = session.id;
  section.dataset.status = session.status;
  section.dataset.now = session.now || "";
  const pitch = pitchOf(session, session.now);
  const open = session.status === "open";
  const place = placeOfNow(session);
  setText(
    "screen-pitch-status",
    pitch && open ? `${session.title} · ${t("pitch.place", { place, count: session.pitches.length })}` : session.title,
  );
  setText("screen-pitch-title", pitch && open ? pitch.title : session.title);
  setText("screen-pitch-organisation", pitch && open ? pitch.organisation : "");
  setText("screen-pitch-speaker", pitch && open ? pitch.speaker : "");
  $("screen-pitch-organisation").hidden = !(pitch && open);
  $("screen-pitch-speaker").hidden = !(pitch && open);
  let note = "";
  if (session.status === "closed") note = t("pitch.screen_ended");
  else if (!pitch) note = t("pitch.screen_soon");
  else note = t("pitch.screen_rate");
  setText("screen-pitch-note", note);
  if (open && timerEndsAt(session) !== null) startTicker();
  else stopTicker();
  renderTimer();
}

function renderTimer() {
  const node = $("screen-pitch-timer");
  const endsAt = session && session.status === "open" ? timerEndsAt(session) : null;
  node.hidden = endsAt === null;
  if (endsAt === null) return;
  const left = clock.left(endsAt);
  node.dataset.state = left > 0 ? (left <= 30000 ? "warning" : "running") : "up";
  const text = left > 0 ? clockText(left) : t("pitch.time_up");
  if (node.textContent !== text) setText(node, text);
}

function startTicker() {
  if (ticker === null) ticker = setInterval(renderTimer, 250);
}

function stopTicker() {
  if (ticker !== null) clearInterval(ticker);
  ticker = null;
}

function onSession(msg) {
  if (!msg || !msg.session) return;
  clock.learn(msg.ts);
  if (missedChange(session, msg.session)) ctx.refresh();
  setSession(msg.session);
}

registerKind({
  ...PITCH,
  screen: {
    mount,
    applyState,
    clear: () => session && setSession(null),
    localeChanged: render,
    ended: () => {
      stopTicker();
      $("screen-pitch").hidden = true;
    },
    messages: {
      "pitch:opened": onSession,
      "pitch:now": onSession,
      "pitch:timer": onSession,
      "pitch:updated": onSession,
      "pitch:closed": onSession,
    },
  },
});
