// The registry of activity kinds (poll, quiz, ...). Each kind's modules, under
// js/activities/<kind>/, register the part they implement for one page role:
//
//   registerKind({ type: "poll", noun: "poll", attendee: { ...hooks } });
//
// The page shells (attendee.js, presenter.js, screen.js, admin.js) go over the kinds
// registered for their role and hand each one what is its own: the activity on stage
// whose `type` it is, its messages, its cards. See clients/web/README.md for the hooks.

const ROLES = ["attendee", "presenter", "screen", "admin"];
const KINDS = new Map();

/** Register (a part of) a kind: `type` (the activity's `type` on the wire), `noun` (how
 *  the pages name one, e.g. "poll"), and any of the role parts. A role part can be
 *  registered only once per kind. Returns the kind with every part so far. */
export function registerKind(spec) {
  const type = spec && spec.type;
  if (typeof type !== "string" || !type) throw new Error("registerKind: `type` is required");
  const kind = KINDS.get(type) || { type, noun: type };
  if (spec.noun) kind.noun = spec.noun;
  // `stage: false`: a room feature beside the stage (Q&A, reactions), never on it.
  if (spec.stage === false) kind.stage = false;
  for (const role of ROLES) {
    if (!spec[role]) continue;
    if (kind[role]) throw new Error(`activity kind ${type}: its ${role} part is registered twice`);
    kind[role] = spec[role];
  }
  KINDS.set(type, kind);
  return kind;
}

/** The kind whose activities have this `type`, or null. */
export function kindOf(type) {
  return KINDS.get(type) || null;
}

/** The kinds with a part for `role`, in the order they registered. */
export function kindsFor(role) {
  return [...KINDS.values()].filter((kind) => kind[role]);
}

/** How a page names "an activity" of its kinds: "poll", "poll or quiz", ... */
export function activityNoun(role) {
  const nouns = kindsFor(role)
    .filter((kind) => kind.stage !== false)
    .map((kind) => kind.noun);
  if (!nouns.length) return "activity";
  return nouns.length === 1 ? nouns[0] : `${nouns.slice(0, -1).join(", ")} or ${nouns[nouns.length - 1]}`;
}
