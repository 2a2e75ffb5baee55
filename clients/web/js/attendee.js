// The attendee page's shell: join an event (or resume with the stored token), the
// connection, `welcome` and `state:get`, errors, the end of the event. What is on stage
// is drawn by the kind whose `type` it is (js/activities/<kind>/attendee.js, registered
// in js/core/kinds.js): the shell hands every kind the whole state and its messages.
// The page is in the attendee's language (js/core/i18n.js, with a switcher in the top
// bar); errors are shown by their code, translated.

import { focusIfLost } from "./core/a11y.js";
import {
  connectSocket,
  refreshWhenVisible,
  showConnection,
  stateRefresher,
  trackConnection,
} from "./core/connection.js";
import { $, normaliseCode, readParams, setText, storage, whenLoaded } from "./core/dom.js";
import { errorText } from "./core/errors.js";
import { bindLanguageSelect, formatTime, onLocaleChange, setupI18n, t } from "./core/i18n.js";
import { kindsFor } from "./core/kinds.js";

const tokenKey = (code) => `plenary.token.${code}`;
const PROFILE_KEY = "plenary.profile";

const session = {
  code: "",
  socket: null,
  attendee: null,
  onStage: null, // the type of the activity on stage, or null (the "waiting" card)
  joinError: null, // () => the join form's error text, or null
  endedAt: null, // when the event ended (event:ended), for the thank-you text
};

/** Every kind's attendee part, called with `hook(part)`; a missing hook is skipped. */
function eachKind(hook, ...args) {
  for (const kind of kindsFor("attendee")) {
    const fn = kind.attendee[hook];
    if (typeof fn === "function") fn(...args);
  }
}

/** What the kinds get from the page (see clients/web/README.md). */
const ctx = {
  get code() {
    return session.code;
  },
  get socket() {
    return session.socket;
  },
  /** Where the kinds put their views (after the "waiting" card). */
  stage: $("event-view"),
  /** Ask for the whole state (a missed broadcast); throttled, with jitter. */
  refresh: () => refreshState(),
  /** The kind's activity is on stage now: hide the others and the "waiting" card. */
  enterStage(type) {
    session.onStage = type;
    $("waiting").hidden = true;
    for (const kind of kindsFor("attendee")) {
      if (kind.type !== type && typeof kind.attendee.clear === "function") kind.attendee.clear();
    }
  },
  /** The kind has nothing on stage (any more). */
  leaveStage(type) {
    if (session.onStage !== null && session.onStage !== type) return;
    session.onStage = null;
    $("waiting").hidden = false;
  },
};

// -- join -------------------------------------------------------------------------------------
function init() {
  eachKind("mount", ctx);
  const params = readParams();
  const profile = storage.get(PROFILE_KEY) || {};
  const code = normaliseCode(params.event || params.code || "");
  $("event-code").value = code;
  $("name").value = profile.name || "";
  $("country").value = profile.country || "";
  $("organisation").value = profile.organisation || "";
  $("join-form").addEventListener("submit", onJoin);
  $("leave").addEventListener("click", onLeave);
  bindLanguageSelect($("language-select"));
  onLocaleChange(() => {
    showJoinError();
    showEndedText();
    eachKind("localeChanged");
  });
  $("join-fields").disabled = false;
  refreshWhenVisible(() => session.socket, (snapshot) => applyState(snapshot, false));
  if (code && storage.get(tokenKey(code))) {
    startSession(code); // resume as the same attendee
  } else {
    showJoin();
    (code ? $("name") : $("event-code")).focus();
  }
}

/** The join form, with `error()` (the text of what went wrong), if any. */
function showJoin(error) {
  $("join-view").hidden = false;
  $("event-view").hidden = true;
  session.joinError = error || null;
  showJoinError();
  $("join").disabled = false;
  setText("join", t("attendee.join_button"));
}

function showJoinError() {
  const node = $("join-error");
  const text = session.joinError ? session.joinError() : "";
  node.hidden = !text;
  setText(node, text);
}

function onJoin(evt) {
  evt.preventDefault();
  const code = normaliseCode($("event-code").value);
  const profile = {
    name: $("name").value.trim(),
    country: $("country").value.trim(),
    organisation: $("organisation").value.trim(),
  };
  if (!code) {
    showJoin(() => t("attendee.code_required"));
    $("event-code").focus();
    return;
  }
  if (!profile.name) {
    showJoin(() => t("attendee.name_required"));
    $("name").focus();
    return;
  }
  const previous = storage.get(PROFILE_KEY) || {};
  if (previous.name !== profile.name) {
    // Someone else (or a new name) on this device: join as a new attendee.
    storage.set(tokenKey(code), null);
    eachKind("forget", code);
  }
  storage.set(PROFILE_KEY, profile);
  const url = new URL(window.location.href);
  url.searchParams.set("event", code);
  window.history.replaceState(null, "", url);
  $("join").disabled = true;
  setText("join", t("attendee.joining"));
  startSession(code);
}

function onLeave() {
  if (session.socket) session.socket.disconnect();
  session.socket = null;
  storage.set(tokenKey(session.code), null);
  eachKind("forget", session.code);
  session.attendee = null;
  showConnection("offline", "connection.left");
  setText("event-title", "");
  showJoin();
  $("name").focus();
}

/** The connect `auth`, rebuilt at every (re)connect so the latest token is sent. */
function authPayload() {
  const auth = { event: session.code, role: "attendee" };
  const token = storage.get(tokenKey(session.code));
  if (token) auth.token = token;
  const profile = storage.get(PROFILE_KEY) || {};
  // With a token the name only matters if the server no longer knows the token.
  if (profile.name) auth.name = profile.name;
  if (profile.country) auth.country = profile.country;
  if (profile.organisation) auth.organisation = profile.organisation;
  return auth;
}

function startSession(code) {
  if (session.socket) session.socket.disconnect();
  session.code = code;
  eachKind("start");
  const socket = connectSocket(authPayload);
  session.socket = socket;
  trackConnection(
    socket,
    (info) => onRefused(socket, info),
    (token) => storage.set(tokenKey(session.code), token),
  );
  socket.on("welcome", (msg) => applyState(msg, true));
  for (const kind of kindsFor("attendee")) {
    for (const [name, handler] of Object.entries(kind.attendee.messages || {})) socket.on(name, handler);
  }
  socket.on("error", onServerError);
  socket.on("event:ended", (msg) => showEnded(socket, msg && msg.ended_at));
  socket.on("disconnect", () => eachKind("connectionChanged"));
}

function onRefused(socket, info) {
  if (socket !== session.socket) return;
  if (info.code === "event_ended") {
    showEnded(socket);
    return;
  }
  if (info.code === "bad_token" || info.code === "name_required") {
    storage.set(tokenKey(session.code), null);
    showJoin(() => (info.code === "bad_token" ? t("attendee.session_expired") : errorText(info)));
    return;
  }
  showJoin(() => errorText(info));
}

/** The organiser ended the event: nothing more to answer, no reconnecting. */
function showEnded(socket, endedAt) {
  if (socket !== session.socket) return;
  socket.disconnect();
  eachKind("stop");
  session.endedAt = typeof endedAt === "number" ? endedAt : null;
  showEndedText();
  $("join-view").hidden = true;
  $("event-view").hidden = true;
  $("ended-view").hidden = false;
  focusIfLost($("ended-title"));
  showConnection("offline", "connection.ended");
}

function showEndedText() {
  const at = session.endedAt;
  setText("ended-text", at === null ? t("attendee.ended") : t("attendee.ended_at", { time: formatTime(at) }));
}

// -- server messages ------------------------------------------------------------------------
/** `welcome` (and `state:get`): the whole state; after a reconnect too. */
function applyState(msg, isWelcome) {
  if (isWelcome && msg.token) storage.set(tokenKey(session.code), msg.token);
  session.attendee = msg.attendee || session.attendee;
  $("join-view").hidden = true;
  $("event-view").hidden = false;
  const title = (msg.event && msg.event.title) || "";
  setText("event-title", title);
  document.title = title ? `${title} · Plenary` : "Plenary";
  if (session.attendee) {
    setText("attendee-name", session.attendee.name);
    setText("attendee-id", session.attendee.id);
  }
  // Each kind takes its part: the one whose activity is on stage shows it, the others
  // show nothing.
  eachKind("applyState", msg);
  // The join button had the focus and is gone: go on from the "waiting" card.
  if (!$("waiting").hidden) focusIfLost($("waiting-title"));
}

/** A missed broadcast (an activity's state_seq jumped): fetch the whole state. */
const refreshState = stateRefresher(
  () => session.socket,
  (snapshot) => applyState(snapshot, false),
  { jitterMs: 3000 },
);

function onServerError(msg) {
  eachKind("serverError", (msg && msg.error) || {});
  // The welcome could not be built: ask for the state again shortly.
  refreshState();
}

// After every module of the page ran, and once the catalogues are loaded.
whenLoaded(async () => {
  await setupI18n();
  init();
});
