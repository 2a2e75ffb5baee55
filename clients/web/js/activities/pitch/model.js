// What every page's pitch-session part shares: the kind's name, the pitches already on
// (attendees rate those), when the pitch timer ends (it runs from `now_at` on the
// server's clock: the pages count down with core/clock.js), and how an average reads.
// The session object is in docs/protocol.md ("Pitch sessions"); what the presenter
// typed (titles, names) is shown as typed.

import { mergeActivity } from "../../core/sync.js";

/** The kind's name in the registry (js/core/kinds.js) and on the pages. */
export const PITCH = { type: "pitch_session", noun: "pitch session" };

export const STARS = [1, 2, 3, 4, 5];
/** The server's longest feedback (--pitch-max-feedback-len, docs/configuration.md). */
export const FEEDBACK_MAX = 500;
export const JURY_SCORES = { min: 1, max: 10 };

/** The newer of two copies of one session (by `state_seq`). */
export function mergeSession(known, incoming) {
  return mergeActivity(known, incoming);
}

/** The pitch with this id, or null. */
export function pitchOf(session, pitchId) {
  return ((session && session.pitches) || []).find((p) => p.id === pitchId) || null;
}

/** The pitches on so far (up to the one on now), in the running order: what attendees
 *  may rate. */
export function pitchesSoFar(session) {
  if (!session || !session.now) return [];
  const pitches = session.pitches || [];
  const index = pitches.findIndex((p) => p.id === session.now);
  return index < 0 ? [] : pitches.slice(0, index + 1);
}

/** 1-based place of the pitch on now in the running order (0: none). */
export function placeOfNow(session) {
  if (!session || !session.now) return 0;
  return (session.pitches || []).findIndex((p) => p.id === session.now) + 1;
}

/** When the pitch on now's timer runs out (server clock, epoch ms), or null: no timer. */
export function timerEndsAt(session) {
  if (!session || !session.now || typeof session.now_timer_s !== "number" || typeof session.now_at !== "number") {
    return null;
  }
  return session.now_at + session.now_timer_s * 1000;
}

/** "4.00" for the presenter's average (the server rounds to 2 decimals), "–" for none. */
export function averageText(average) {
  return typeof average === "number" ? average.toFixed(2) : "–";
}
