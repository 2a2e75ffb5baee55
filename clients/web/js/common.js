// The shared page code used to live here; it is now in js/core/ (connection, errors,
// charts, DOM helpers, ordering rules) and the poll-specific parts in js/activities/poll/.
// This module re-exports the old names for code that still imports it (the browser tests,
// pages embedding Plenary). The pages themselves import js/core/ directly.

export {
  call,
  connectSocket,
  refreshWhenVisible,
  showConnection,
  stateRefresher,
  throttle,
  trackConnection,
} from "./core/connection.js";
export { el, normaliseCode, readParams, setText } from "./core/dom.js";
export { connectErrorInfo, errorText } from "./core/errors.js";
export { mergeActivity as mergePoll, missedChange, newVoteId, newerResults } from "./core/sync.js";
export {
  CHOICE_KINDS,
  KIND_LABELS,
  PollResultsView as ResultsView,
  TEXT_KINDS,
  describeAnswer,
} from "./activities/poll/model.js";
