// Keeping a page's copy of an activity right when messages arrive out of order, twice or
// not at all, whatever the kind: copies ordered by `state_seq`, results by `seq`, and the
// client-made ids that make a re-sent answer count once (docs/protocol.md, Conventions).

import { t } from "./i18n.js";

/** When an activity last changed state, for copies without `state_seq` (older servers). */
function changedAt(item) {
  return Math.max(item.opened_at || 0, item.closed_at || 0, item.created_at || 0);
}

function hasStateSeq(item) {
  return item && typeof item.state_seq === "number";
}

/** The newer of two copies of the same activity, by `state_seq` (it grows with every
 *  open, close and reveal); copies can arrive out of order, e.g. a `welcome` built just
 *  before a broadcast that arrived first. */
export function mergeActivity(known, incoming) {
  if (!known || known.id !== incoming.id) return { ...incoming };
  let newer;
  if (hasStateSeq(known) && hasStateSeq(incoming)) {
    newer = incoming.state_seq >= known.state_seq ? incoming : known;
  } else {
    newer = changedAt(incoming) >= changedAt(known) ? incoming : known;
  }
  const merged = { ...known, ...newer };
  if (!hasStateSeq(incoming)) merged.revealed = Boolean(known.revealed || incoming.revealed);
  return merged;
}

/** `mergeActivity`, keeping the known copy's `fields` that `incoming` has not got (e.g.
 *  results a broadcast does not carry: the console's stay). */
export function mergeKeeping(known, incoming, fields) {
  const merged = mergeActivity(known, incoming);
  if (!known) return merged;
  for (const field of fields) if (incoming[field] === undefined) merged[field] = known[field];
  return merged;
}

/** True when `incoming` skips a state change of an activity we knew: a message was
 *  missed and the client should ask for the whole state (`state:get`). */
export function missedChange(known, incoming) {
  return Boolean(
    known && incoming && known.id === incoming.id && hasStateSeq(known) && hasStateSeq(incoming) &&
      incoming.state_seq > known.state_seq + 1,
  );
}

/** Of two results of one activity, the one to show: the higher `seq`; of equal `seq`, a
 *  `final` one. Either may be null. */
export function newerResults(a, b) {
  if (!a) return b || null;
  if (!b) return a;
  if (b.seq !== a.seq) return b.seq > a.seq ? b : a;
  return b.final && !a.final ? b : a;
}

/** A fresh id for an answer: a UUID, also in non-secure contexts (plain http on a LAN). */
export function newVoteId() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch {
      /* not a secure context: fall through */
    }
  }
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") {
    c.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The status of an activity in the shared life cycle (draft -> open -> closed). */
export function statusText(item) {
  if (item.status === "open") return t("common.status_open");
  if (item.status === "closed") return t("common.status_closed");
  return t("common.status_draft");
}
