// What every page's Q&A part shares: the room's questions as this page knows them,
// kept newest by each question's `rev` (question changes come from every server
// process, in any order) and the votes by the `version` of `qa:votes`.

export const QA = { type: "qa", noun: "Q&A", stage: false };

/** Statuses everyone sees; the others only their author and the presenters. */
export const PUBLIC = new Set(["approved", "answered"]);

export class QABoard {
  constructor() {
    this.reset();
  }

  reset() {
    this.questions = new Map();
    this.votes = {};
    this.version = -1;
    this.highlighted = null;
    this.settings = { anonymous: true, moderation: false };
    this.voted = new Set();
  }

  /** `welcome` / `state:get`: the whole Q&A of the room replaces what we had. */
  applyState(qa) {
    this.reset();
    if (!qa) return;
    for (const q of qa.questions || []) {
      this.questions.set(q.id, q);
      this.votes[q.id] = q.votes;
      if (q.voted) this.voted.add(q.id);
    }
    this.version = qa.version;
    this.highlighted = qa.highlighted || null;
    this.settings = qa.settings || this.settings;
  }

  /** `qa:questions` / `qa:mine` / an ack: keep each question's newest copy. */
  upsert(list) {
    for (const q of list || []) {
      const known = this.questions.get(q.id);
      if (known && (known.rev || 0) > (q.rev || 0)) continue;
      this.questions.set(q.id, { ...q, mine: Boolean(q.mine || (known && known.mine)) });
      if (!(q.id in this.votes)) this.votes[q.id] = q.votes || 0;
    }
  }

  /** Questions no longer public: an attendee drops them, unless they are its own. */
  remove(ids) {
    for (const id of ids || []) {
      const known = this.questions.get(id);
      if (known && !known.mine) this.questions.delete(id);
    }
  }

  /** `qa:votes`: the complete vote counts, applied only if newer. */
  applyVotes(msg) {
    if (!msg || typeof msg.version !== "number" || msg.version <= this.version) return false;
    this.version = msg.version;
    this.votes = { ...msg.votes };
    return true;
  }

  votesOf(id) {
    return this.votes[id] || 0;
  }

  /** The questions that pass `keep`, most votes first (then the earlier), or the most
   *  recent first with `byTime`. */
  sorted(keep = () => true, byTime = false) {
    const list = [...this.questions.values()].filter(keep);
    const cmp = byTime
      ? (a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1)
      : (a, b) =>
          this.votesOf(b.id) - this.votesOf(a.id) || a.created_at - b.created_at || (a.id < b.id ? -1 : 1);
    return list.sort(cmp);
  }
}

/** A new id for `qa:ask`: a retry with the same id is the same question. */
export function newAskId() {
  if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
