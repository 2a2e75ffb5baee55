// The attendee page's shell: join an event (or resume with the stored token), the
// connection, `welcome` and `state:get`, errors, the end of the event. What is on stage
// is drawn by the kind whose `type` it is (js/activities/<kind>/attendee.js, registered
// in js/core/kinds.js): the shell hands every kind the whole state and its messages.
// The page is in the attendee's language (js/core/i18n.js, with a switcher in the top
// bar); errors are shown by their code, translated.
// Rooms (js/core/rooms.js): `?event=CODE&room=ROOM` joins straight into a room; the
// programme lists the open rooms and moves the attendee (`room:enter`) without
// reconnecting; the room the attendee is in stays in the address, so a reload or a
// reconnect comes back to it.

import { announce, focusIfLost, userText } from "./core/a11y.js";
import {
  call,
  connectSocket,
  refreshWhenVisible,
  showConnection,
  stateRefresher,
  trackConnection,
} from "./core/connection.js";
import { $, el, normaliseCode, readParams, setText, storage, whenLoaded } from "./core/dom.js";
import { errorText } from "./core/errors.js";
import { bindLanguageSelect, formatTime, onLocaleChange, setupI18n, t, tParts } from "./core/i18n.js";
import { kindsFor } from "./core/kinds.js";
import {
  MAIN_ROOM,
  findRoom,
  hasRooms,
  keepRoomInAddress,
  openRooms,
  roomParam,
  roomTimes,
  roomTitle,
} from "./core/rooms.js";

const tokenKey = (code) => `plenary.token.${code}`;
const PROFILE_KEY = "plenary.profile";

const session = {
  code: "",
  socket: null,
  attendee: null,
  onStage: null, // the type of the activity on stage, or null (the "waiting" card)
  joinError: null, // () => the join form's error text, or null
  endedAt: null, // when the event ended (event:ended), for the thank-you text
  room: MAIN_ROOM, // the room the attendee is in (or asks for at the next connect)
  rooms: [], // the programme, as the server last sent it
  here: null, // the view of the room the attendee is in
  moves: 0, // room moves done: a state asked for before the latest move is stale
  moving: null, // the room a room:enter is on its way to, or null
  closedMeanwhile: null, // the attendee's room, closed while a move was under way
  roomStatus: null, // () => the programme's status text (the answer to a move), or null
  roomNotice: null, // () => the text (parts) of what happened to the room by itself, or null
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
  // The programme goes after the kinds' views: what is on stage comes first.
  $("event-view").append($("programme"));
  const params = readParams();
  session.room = roomParam(params);
  const profile = storage.get(PROFILE_KEY) || {};
  const code = normaliseCode(params.event || params.code || "");
  $("event-code").value = code;
  $("name").value = profile.name || "";
  $("country").value = profile.country || "";
  $("organisation").value = profile.organisation || "";
  $("join-form").addEventListener("submit", onJoin);
  $("leave").addEventListener("click", onLeave);
  $("rooms-list").addEventListener("click", onRoomsClick);
  bindLanguageSelect($("language-select"));
  onLocaleChange(() => {
    showJoinError();
    showEndedText();
    renderRooms();
    renderRoomNotice();
    eachKind("localeChanged");
  });
  $("join-fields").disabled = false;
  refreshWhenVisible(() => session.socket, applySnapshot, 30000, () => session.moves);
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
  // A room named in the address belongs to the event named there, not to another one.
  if (normaliseCode(url.searchParams.get("event") || "") !== code) {
    url.searchParams.delete("room");
    session.room = MAIN_ROOM;
  }
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
  // The room the attendee is in: a reconnect comes back to it (the main room if it
  // closed meanwhile).
  if (session.room !== MAIN_ROOM) auth.room = session.room;
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
  socket.on("room:programme", (msg) => onProgramme(socket, msg));
  socket.on("room:closed", (msg) => onRoomClosed(socket, msg));
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
  if (info.code === "not_found" && session.room !== MAIN_ROOM) {
    // The room in the address is not in this event's programme: the main room instead.
    setRoom(MAIN_ROOM);
    socket.connect();
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
  applyRoom(msg);
  // Each kind takes its part: the one whose activity is on stage shows it, the others
  // show nothing.
  eachKind("applyState", msg);
  // The join button had the focus and is gone: go on from the "waiting" card.
  if (!$("waiting").hidden) focusIfLost($("waiting-title"));
}

/** A `state:get` answer, asked for when `moves` room moves were done: one asked for
 *  before a later move is of the room the attendee left, so ask again. */
function applySnapshot(snapshot, moves) {
  if (moves !== undefined && moves !== session.moves) {
    refreshState();
    return;
  }
  applyState(snapshot, false);
}

/** A missed broadcast (an activity's state_seq jumped): fetch the whole state. */
const refreshState = stateRefresher(() => session.socket, applySnapshot, {
  jitterMs: 3000,
  stamp: () => session.moves,
});

function onServerError(msg) {
  eachKind("serverError", (msg && msg.error) || {});
  // The welcome could not be built: ask for the state again shortly.
  refreshState();
}

// -- rooms ------------------------------------------------------------------------------------
/** The attendee is in `room` (or asks for it at the next connect); the address says so. */
function setRoom(room) {
  session.room = room;
  keepRoomInAddress(room);
}

/** The room fields of a `welcome`, `state:get` or `room:enter` answer. */
function applyRoom(msg) {
  if (Array.isArray(msg.rooms)) session.rooms = msg.rooms;
  if (msg.room && msg.room.id) {
    session.here = msg.room;
    setRoom(msg.room.id);
  }
  renderRooms();
}

function onProgramme(socket, msg) {
  if (socket !== session.socket || !msg || !Array.isArray(msg.rooms)) return;
  session.rooms = msg.rooms;
  session.here = findRoom(msg.rooms, session.room) || session.here;
  renderRooms();
}

/** The attendee's room closed: back to the main room (the server sends nothing more
 *  from the closed one). */
function onRoomClosed(socket, msg) {
  const closed = msg && msg.room;
  if (socket !== session.socket || !closed || closed.id !== session.room) return;
  const title = roomTitle(closed);
  const main = () => roomTitle(findRoom(session.rooms, MAIN_ROOM) || { id: MAIN_ROOM });
  session.roomNotice = () => tParts("attendee.room_closed", { room: userText(title), main: userText(main()) });
  renderRoomNotice();
  announce(t("attendee.room_closed", { room: title, main: main() }));
  setRoom(MAIN_ROOM); // a reconnect from now on goes to the main room
  renderRooms();
  if (session.moving !== null) session.closedMeanwhile = closed.id; // seen to after the move
  else enterRoom(MAIN_ROOM, { keepNotice: true });
}

function onRoomsClick(evt) {
  const button = evt.target.closest("button[data-room]");
  if (button) enterRoom(button.dataset.room);
}

/** Move to `room` without reconnecting; its state is shown as a welcome's would be. */
async function enterRoom(room, { keepNotice = false } = {}) {
  const socket = session.socket;
  if (!socket || session.moving !== null) return;
  session.moving = room;
  showRoomStatus(() => t("attendee.room_moving"));
  const ack = await call(socket, "room:enter", { room });
  session.moving = null;
  if (socket !== session.socket) return;
  const closed = session.closedMeanwhile;
  session.closedMeanwhile = null;
  const landed = ack.ok && ack.state && ack.state.room ? ack.state.room.id : null;
  if (closed !== null && (landed === null || landed === closed)) {
    // The attendee's room closed while this move was under way, and the move did not
    // take the attendee out of it: to the main room.
    enterRoom(MAIN_ROOM, { keepNotice: true });
    return;
  }
  if (ack.ok && ack.state) {
    session.moves += 1;
    if (!keepNotice) {
      session.roomNotice = null;
      renderRoomNotice();
    }
    applyState(ack.state, false);
    showRoomStatus(() => tParts("attendee.room_entered", { room: userText(roomTitle(session.here)) }));
    return;
  }
  showRoomStatus(() => [errorText(ack.error)]);
  if (ack.error && ack.error.code === "not_found") refreshState(); // the programme changed
  const again = document.querySelector(`#rooms-list button[data-room="${CSS.escape(room)}"]`);
  if (again) focusIfLost(again);
}

/** The room line ("You are in ...") and the programme: shown once there are rooms
 *  besides the main one. */
function renderRooms() {
  const here = findRoom(session.rooms, session.room) || session.here;
  const show = hasRooms(session.rooms) || session.room !== MAIN_ROOM;
  $("room-line").hidden = !show;
  $("programme").hidden = !show;
  setText("room-name", roomTitle(here || { id: session.room }));
  setText("room-when", here ? roomTimes(here) : "");
  if (!show) return;
  // A button that had the focus keeps it when the list is drawn again.
  const active = document.activeElement;
  const focused = active && active.closest && active.closest("#rooms-list") ? active.dataset.room : null;
  $("rooms-list").replaceChildren(...openRooms(session.rooms).map(roomItem));
  if (focused) {
    const again = document.querySelector(`#rooms-list button[data-room="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
  renderRoomStatus();
}

/** One room of the programme: its title, times and description; "You are here", or a
 *  button that goes there (described by the room's title). */
function roomItem(room) {
  const current = room.id === session.room;
  const titleId = `room-title-${room.id}`;
  const times = roomTimes(room);
  return el(
    "li",
    { class: current ? "room-item current" : "room-item", dataset: { roomId: room.id }, "aria-current": current ? "location" : null },
    el(
      "div",
      { class: "room-info" },
      el("span", { id: titleId, class: "room-title", dir: "auto" }, roomTitle(room)),
      times ? el("span", { class: "room-times muted small" }, times) : null,
      room.description ? el("span", { class: "room-description muted small", dir: "auto" }, room.description) : null,
    ),
    current
      ? el("span", { class: "room-here" }, t("attendee.room_current"))
      : el(
          "button",
          { type: "button", class: "button room-enter", dataset: { room: room.id }, "aria-describedby": titleId },
          t("attendee.room_enter"),
        ),
  );
}

function showRoomStatus(parts) {
  session.roomStatus = parts || null;
  renderRoomStatus();
}

function renderRoomStatus() {
  const node = $("room-status");
  const parts = session.roomStatus ? session.roomStatus() : [];
  const next = el("span", {}, typeof parts === "string" ? [parts] : parts);
  if (next.textContent !== node.textContent || node.dataset.lang !== document.documentElement.lang) {
    node.replaceChildren(...next.childNodes);
    node.dataset.lang = document.documentElement.lang;
  }
}

function renderRoomNotice() {
  const node = $("room-notice");
  const parts = session.roomNotice ? session.roomNotice() : [];
  node.hidden = !parts.length;
  node.replaceChildren(...parts);
}

// After every module of the page ran, and once the catalogues are loaded.
whenLoaded(async () => {
  await setupI18n();
  init();
});
