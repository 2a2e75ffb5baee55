// What every page's world-café part shares: the kind's name, a café's copies kept newest
// by `state_seq`, tables' topics and harvests' keys. A round ends at `ends_at` on the
// server's clock: the pages count down with core/clock.js. docs/protocol.md, "World café".

import { mergeActivity } from "../../core/sync.js";

/** The kind's name in the registry (js/core/kinds.js) and on the pages. */
export const CAFE = { type: "cafe", noun: "world café" };

/** The newer of two copies of one café (by `state_seq`). */
export function mergeCafe(known, incoming) {
  return mergeActivity(known, incoming);
}

/** A table's topic, as the server gives it: `topics[(table - 1) % topics.length]`. */
export function topicOf(cafe, table) {
  const topics = (cafe && cafe.topics) || [];
  return topics.length ? topics[(table - 1) % topics.length] : "";
}

/** The key of a harvest: its author and the author's `harvest_id`. */
export function harvestKey(authorId, harvestId) {
  return `${authorId}\u0000${harvestId}`;
}
