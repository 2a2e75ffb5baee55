// What every page's pitch-session part shares: the kind's name, the pitches already on
// (attendees rate those), the server's clock (a pitch timer runs from `now_at` on the
// server's clock: the screen counts down against it, not against the device's own), and
// how time left and an average read. The session object is in docs/protocol.md ("Pitch
// sessions"); what the presenter typed (titles, names) is shown as typed.

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

/**
 * The server's clock as this page knows it: every `welcome` carries `server_time` and
 * every server message its `ts` (both epoch ms, stamped when the server sent them), so
 * `server - local` is known to within the message's travel time. The smallest offset
 * seen lately wins (a message that took long to arrive makes the server look behind).
 */
export class ServerClock {
  constructor() {
    this.offset = 0;
    this.known = false;
    this.seenAt = 0;
  }

  learn(serverMs) {
    if (typeof serverMs !== "number" || !Number.isFinite(serverMs)) return;
    const local = Date.now();
    const offset = serverMs - local;
    if (!this.known || offset > this.offset || local - this.seenAt > 60000) {
      this.offset = offset;
      this.known = true;
      this.seenAt = local;
    }
  }

  now() {
    return Date.now() + this.offset;
  }

  /** Milliseconds left until `endsAt` (server clock), never below 0. */
  left(endsAt) {
    if (typeof endsAt !== "number") return 0;
    return Math.max(0, endsAt - this.now());
  }
}

/** "4:05" (or "1:02:03" past an hour) for `ms` left, rounded up to the second. */
export function clockText(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** "4.00" for the presenter's average (the server rounds to 2 decimals), "–" for none. */
export function averageText(average) {
  return typeof average === "number" ? average.toFixed(2) : "–";
}
