// A console's activities of one kind, as the kind's list shows them: oldest first.
// Every `welcome` (and `state:get`) lists them all and replaces what the console had;
// acks and broadcasts add or update one at a time.

import { mergeActivity } from "./sync.js";

/**
 * A Map of id -> activity that also keeps the ids in the order of `created_at` (an
 * activity added later with an earlier `created_at`, e.g. from another console, goes
 * where it belongs). A copy comes in through `put`, merged with the known one by the
 * kind's `merge(known, incoming)` (by default the newer by `state_seq`).
 */
export class ActivityList extends Map {
  constructor() {
    super();
    this.order = []; // ids, oldest first
  }

  set(id, activity) {
    super.set(id, activity);
    if (!this.order.includes(id)) {
      this.order.push(id);
      this.order.sort((a, b) => (this.get(a).created_at || 0) - (this.get(b).created_at || 0));
    }
    return this;
  }

  delete(id) {
    this.order = this.order.filter((known) => known !== id);
    return super.delete(id);
  }

  /** The activities, oldest first. */
  items() {
    return this.order.map((id) => this.get(id));
  }

  /** A copy of an activity merged in; the merged activity, or null (no copy). */
  put(incoming, merge = mergeActivity) {
    if (!incoming || !incoming.id) return null;
    const merged = merge(this.get(incoming.id), incoming);
    this.set(incoming.id, merged);
    return merged;
  }

  /** A `welcome`'s list replaces ours: what it does not list is gone (deleted meanwhile,
   *  or another room's); what it lists is merged in. */
  replace(listed, merge = mergeActivity) {
    const ids = new Set(listed.map((activity) => activity.id));
    for (const id of [...this.keys()]) if (!ids.has(id)) this.delete(id);
    for (const activity of listed) this.put(activity, merge);
  }
}
