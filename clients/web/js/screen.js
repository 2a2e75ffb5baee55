// The big screen's shell: join instructions, the connection, `welcome` and `state:get`,
// presence, the end of the event. What is on stage is drawn by the kind whose `type` it
// is (js/activities/<kind>/screen.js). Read-only (role "screen"). `?event=CODE`; add
// `&hide=1` to show results only once the presenter reveals them. In the browser's
// language (js/core/i18n.js), or the one given with `&lang=fr`.
// `&room=ROOM`: the screen of one room of the programme (js/core/rooms.js): its title,
// its join link and the QR code of that link (drawn by the server, from its public URL),
// shown with the join instructions and, on demand (Q or the footer's button), while an
// activity is on stage. When the room closes, the screen goes to the main room.

import {
  call,
  connectSocket,
  refreshWhenVisible,
  showConnection,
  stateRefresher,
  trackConnection,
} from "./core/connection.js";
import { $, normaliseCode, readParams, setText, whenLoaded } from "./core/dom.js";
import { errorText } from "./core/errors.js";
import { onLocaleChange, setupI18n, t } from "./core/i18n.js";
import { kindsFor } from "./core/kinds.js";
import {
  MAIN_ROOM,
  attendeeLink,
  fetchQr,
  findRoom,
  hasRooms,
  keepRoomInAddress,
  roomParam,
  roomTimes,
  roomTitle,
} from "./core/rooms.js";

const params = readParams();
const session = {
  code: normaliseCode(params.event || ""),
  socket: null,
  onStage: null, // the type of the activity on stage, or null (the join instructions)
  error: null, // () => the error's text, or null
  title: "",
  room: roomParam(params), // the room this screen is in (or asks for at the next connect)
  rooms: [], // the programme
  here: null, // the view of this screen's room
  ended: false,
  moves: 0, // room moves done: a state asked for before the latest move is stale
};

/** The QR code on screen: for which room, what it says, and whether someone toggled it
 *  (null: shown with the join instructions, hidden while an activity is on stage). */
const qr = { room: null, url: null, link: "", loading: null, shown: null };

function eachKind(hook, ...args) {
  for (const kind of kindsFor("screen")) {
    const fn = kind.screen[hook];
    if (typeof fn === "function") fn(...args);
  }
}

/** What the kinds get from the page (see clients/web/README.md). */
const ctx = {
  /** Where the kinds put their views (after the idle and ended views). */
  stage: document.querySelector(".screen-main"),
  /** The footer's answer count. */
  total: $("total"),
  totalLabel: $("total-label"),
  hideUntilRevealed: ["1", "true", "yes"].includes(String(params.hide || "").toLowerCase()),
  refresh: () => refreshState(),
  enterStage(type) {
    if (session.onStage === null) qr.shown = null; // a new phase: the QR as it comes
    session.onStage = type;
    $("screen-idle").hidden = true;
    renderQr();
    for (const kind of kindsFor("screen")) {
      if (kind.type !== type && typeof kind.screen.clear === "function") kind.screen.clear();
    }
  },
  leaveStage(type) {
    if (session.onStage !== null && session.onStage !== type) return;
    if (session.onStage !== null) qr.shown = null;
    session.onStage = null;
    $("screen-idle").hidden = false;
    renderQr();
    setText(ctx.totalLabel, t("results.answers_word", { count: 0 }));
  },
};

function init() {
  eachKind("mount", ctx);
  setText(ctx.totalLabel, t("results.answers_word", { count: 0 }));
  onLocaleChange(() => {
    setText(ctx.totalLabel, t("results.answers_word", { count: 0 }));
    showTitle();
    showRoom();
    renderQr();
    showError(session.error);
    eachKind("localeChanged");
  });
  $("qr-toggle").addEventListener("click", toggleQr);
  document.addEventListener("keydown", onKey);
  if (!session.code) {
    showError(() => t("screen.no_code"));
    return;
  }
  setText("idle-url", `${window.location.host}`);
  setText("join-code", session.code);
  setText("idle-code", session.code);
  showJoinUrl();

  // The room is asked for at every (re)connect: the one the screen is in now.
  const auth = () => {
    const payload = { event: session.code, role: "screen" };
    if (session.room !== MAIN_ROOM) payload.room = session.room;
    return payload;
  };
  const socket = connectSocket(auth);
  session.socket = socket;
  trackConnection(socket, (info) => {
    if (info.code === "event_ended") showEnded();
    else if (info.code === "not_found" && session.room !== MAIN_ROOM) {
      // No such room in this event's programme: the main room's screen instead.
      setRoom(MAIN_ROOM);
      socket.connect();
    } else showError(() => errorText(info));
  });
  socket.on("welcome", applyState);
  socket.on("room:programme", (msg) => {
    if (!msg || !Array.isArray(msg.rooms)) return;
    session.rooms = msg.rooms;
    session.here = findRoom(msg.rooms, session.room) || session.here;
    showRoom();
  });
  socket.on("room:closed", (msg) => {
    if (!msg || !msg.room || msg.room.id !== session.room) return;
    setRoom(MAIN_ROOM); // a reconnect goes there too
    enterRoom(socket, MAIN_ROOM);
  });
  refreshWhenVisible(() => socket, applySnapshot, 30000, () => session.moves);
  socket.on("presence", (p) => setText("online", p.online ?? 0));
  socket.on("event:ended", () => {
    socket.disconnect(); // new connections are refused from now on
    showEnded();
  });
  socket.on("error", () => refreshState()); // the server could not build our state
  for (const kind of kindsFor("screen")) {
    for (const [name, handler] of Object.entries(kind.screen.messages || {})) socket.on(name, handler);
  }
}

/** A `state:get` answer; one asked for before the latest room move is of the room the
 *  screen left: ask again. */
function applySnapshot(snapshot, moves) {
  if (moves !== undefined && moves !== session.moves) refreshState();
  else applyState(snapshot);
}

const refreshState = stateRefresher(() => session.socket, applySnapshot, { stamp: () => session.moves });

/** `welcome` (and `state:get`, and the answer to `room:enter`): the whole state. */
function applyState(msg) {
  showError(null);
  session.title = (msg.event && msg.event.title) || "";
  showTitle();
  if (Array.isArray(msg.rooms)) session.rooms = msg.rooms;
  if (msg.room && msg.room.id) {
    session.here = msg.room;
    setRoom(msg.room.id);
  }
  showRoom();
  if (msg.presence) setText("online", msg.presence.online ?? 0);
  eachKind("applyState", msg);
  loadQr();
}

// -- the room and its QR code -------------------------------------------------------------------
/** The screen is in `room` (or asks for it at the next connect); the address says so. */
function setRoom(room) {
  if (room !== session.room) {
    session.room = room;
    showJoinUrl();
  }
  keepRoomInAddress(room);
}

/** The room closed: move to `room` (the main one) without reconnecting. */
async function enterRoom(socket, room) {
  const ack = await call(socket, "room:enter", { room });
  if (socket !== session.socket) return;
  if (ack.ok && ack.state) {
    session.moves += 1;
    applyState(ack.state);
  } else refreshState(); // the reconnect's welcome, or this, brings the main room
}

function showJoinUrl() {
  const link = attendeeLink(session.code, session.room);
  setText("join-url", link.replace(/^https?:\/\//, ""));
  $("join-url").title = link;
  $("join-url").classList.toggle("long", session.room !== MAIN_ROOM);
}

/** The room's title and times, once the programme has rooms besides the main one. */
function showRoom() {
  const here = findRoom(session.rooms, session.room) || session.here;
  const show = Boolean(here) && (hasRooms(session.rooms) || session.room !== MAIN_ROOM);
  const times = show ? roomTimes(here) : "";
  $("room-title").hidden = !show;
  setText("room-title", show ? roomTitle(here) : "");
  $("room-when").hidden = !times;
  setText("room-when", times);
}

/** Fetch the QR code of this room's attendee link (again only when the room changed). */
async function loadQr() {
  const room = session.room;
  if (qr.room === room || qr.loading === room) return;
  qr.loading = room;
  const got = await fetchQr(session.code, room);
  if (qr.loading === room) qr.loading = null;
  if (!got || room !== session.room) {
    if (got) URL.revokeObjectURL(got.url);
    // Not now (no connection, too many requests): again in a while, or with the next
    // welcome, whichever comes first.
    if (!got && room === session.room) setTimeout(loadQr, 5000 + Math.random() * 5000);
    return;
  }
  if (qr.url) URL.revokeObjectURL(qr.url);
  Object.assign(qr, { room, url: got.url, link: got.link });
  $("qr-image").src = got.url;
  setText("qr-link", got.link);
  renderQr();
}

function qrVisible() {
  if (session.ended || !qr.url) return false;
  return qr.shown === null ? session.onStage === null : qr.shown;
}

function renderQr() {
  const visible = qrVisible();
  $("screen-qr").hidden = !visible;
  document.body.classList.toggle("with-qr", visible && session.onStage !== null);
  document.body.classList.toggle("qr-lobby", visible && session.onStage === null);
  const toggle = $("qr-toggle");
  toggle.setAttribute("aria-pressed", String(visible));
  toggle.hidden = session.ended || !qr.url;
  if (qr.link) $("qr-image").alt = t("screen.qr_alt", { link: qr.link });
}

function toggleQr() {
  if (session.ended || !qr.url) return;
  qr.shown = !qrVisible();
  renderQr();
}

/** Q shows or hides the QR code (the screen is run from a laptop's keyboard). */
function onKey(evt) {
  if (evt.key !== "q" && evt.key !== "Q") return;
  if (evt.ctrlKey || evt.metaKey || evt.altKey || evt.repeat) return;
  const target = evt.target;
  if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
  evt.preventDefault();
  toggleQr();
}

function showTitle() {
  setText("event-title", session.title);
  document.title = session.title ? `${session.title} · Plenary` : t("screen.page_title");
}

function showEnded() {
  session.ended = true;
  renderQr();
  $("screen-idle").hidden = true;
  eachKind("ended");
  $("screen-ended").hidden = false;
  showConnection("offline", "connection.ended");
}

/** `error()`: the error's text (again after a switch of language); null hides it. */
function showError(error) {
  session.error = error || null;
  const node = $("screen-error");
  const text = session.error ? session.error() : "";
  node.hidden = !text;
  setText(node, text);
}

// After every module of the page ran, and once the catalogues are loaded.
whenLoaded(async () => {
  await setupI18n();
  init();
});
