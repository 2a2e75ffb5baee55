// The presenter console's shell: the presenter key, the connection, `welcome` and
// `state:get`, presence, the end of the event, the export, and the stage, which shows the
// selected activity in the life cycle every kind shares (draft -> open -> closed, results
// revealed or not). Each kind (js/activities/<kind>/presenter.js) adds its own cards (its
// list, its "new" form), draws its results on the stage and sends its own actions.
// The console is in English (the catalogue's `en`); what presenters type is shown as
// typed, with its own direction (dir="auto").
// Rooms (js/core/rooms.js): with the event-wide key the console picks the room it runs
// (`room:enter`, no reconnect) and manages the programme (add, edit, reorder, close; a new
// room's own presenter key and links are shown once); with a room's own key it runs that
// room only. Each room's attendees online, and the QR code of the room's attendee link
// for slides. `#event=CODE&key=KEY&room=ROOM` keeps the room across reloads.

import {
  call,
  connectSocket,
  refreshWhenVisible,
  showConnection,
  stateRefresher,
  trackConnection,
} from "./core/connection.js";
import { focusIfLost } from "./core/a11y.js";
import { $, el, normaliseCode, readParams, setText, whenLoaded } from "./core/dom.js";
import { staffErrorText } from "./core/errors.js";
import { setupI18n } from "./core/i18n.js";
import { activityNoun, kindOf, kindsFor } from "./core/kinds.js";
import {
  MAIN_ROOM,
  attendeeLink,
  fetchQr,
  findRoom,
  hasRooms,
  keepRoomInAddress,
  openRooms,
  roomParam,
  roomTimes,
  roomTitle,
  screenPath,
} from "./core/rooms.js";
import { statusText } from "./core/sync.js";

const session = {
  code: "",
  key: "",
  socket: null,
  current: null, // {type, id}: the activity on stage (last opened)
  selected: null, // {type, id}: the activity shown on the stage card
  ended: false,
  room: MAIN_ROOM, // the room the console runs (or asks for at the next connect)
  rooms: [], // the programme
  here: null, // the view of the console's room
  roomsOnline: {}, // room id -> attendees online
  scope: null, // "event" (the event-wide key), "room" (a room's own key), null: not known yet
  moves: 0, // room moves done: a state asked for before the latest move is stale
  moving: null, // the room a room:enter is on its way to
  editing: null, // {id, title, description, starts, ends}: the room being edited
  confirming: null, // the id of the room whose closing waits for a confirmation
  qrOpen: false,
  qr: null, // {room, url, link}: the QR code shown
};

function eachKind(hook, ...args) {
  for (const kind of kindsFor("presenter")) {
    const fn = kind.presenter[hook];
    if (typeof fn === "function") fn(...args);
  }
}

const same = (ref, type, id) => Boolean(ref && ref.type === type && ref.id === id);

/** What the kinds get from the page (see clients/web/README.md). */
const ctx = {
  get socket() {
    return session.socket;
  },
  get code() {
    return session.code;
  },
  get ended() {
    return session.ended;
  },
  /** Where the kinds put their cards: the main column (lists) and the side (forms). */
  main: document.querySelector(".console-main"),
  side: document.querySelector(".console-side"),
  /** The stage's results area and its total. */
  chart: $("chart"),
  total: $("total"),
  totalLabel: $("total-label"),
  call: (event, payload) => call(session.socket, event, payload),
  toast: (text) => toast(text),
  refresh: () => refreshState(),
  render: () => render(),
  renderStage: () => renderStage(),
  select(type, id) {
    session.selected = { type, id };
  },
  setCurrent(type, id) {
    session.current = { type, id };
  },
  isSelected: (type, id) => same(session.selected, type, id),
  isCurrent: (type, id) => same(session.current, type, id),
};

function init() {
  eachKind("mount", ctx);
  const params = readParams();
  session.code = normaliseCode(params.event || "");
  session.key = params.key || "";
  session.room = roomParam(params);
  // The rooms card goes after the kinds' cards.
  ctx.main.append($("rooms-card"));
  $("room-select").addEventListener("change", () => enterRoom($("room-select").value));
  $("rooms-admin").addEventListener("click", onRoomsClick);
  $("rooms-admin").addEventListener("input", onEditInput);
  $("rooms-admin").addEventListener("submit", onEditSubmit);
  $("room-form").addEventListener("submit", onCreateRoom);
  $("new-room-info").addEventListener("click", (evt) => {
    if (evt.target.closest("#new-room-done")) hideNewRoom();
  });
  $("qr-button").addEventListener("click", toggleQrPanel);
  $("setup-form").addEventListener("submit", onSetup);
  for (const button of document.querySelectorAll("[data-stage-action]")) {
    button.addEventListener("click", () => {
      const found = selectedItem();
      if (found) found.kind.presenter.act(button.dataset.stageAction, found.item.id);
    });
  }
  $("export-json").addEventListener("click", () => exportAnswers("json"));
  $("export-csv").addEventListener("click", () => exportAnswers("csv"));
  refreshWhenVisible(() => session.socket, applySnapshot, 30000, () => session.moves);
  if (!session.code || !session.key) {
    $("setup").hidden = false;
    $("setup-code").value = session.code;
    return;
  }
  start();
}

function onSetup(evt) {
  evt.preventDefault();
  const code = normaliseCode($("setup-code").value);
  const key = $("setup-key").value.trim();
  if (!code || !key) {
    showSetupError("Enter the event code and the presenter key.");
    return;
  }
  // The key stays in the fragment: it is never sent to the server in a URL.
  window.location.hash = new URLSearchParams({ event: code, key }).toString();
  session.code = code;
  session.key = key;
  session.room = MAIN_ROOM;
  session.scope = null;
  start();
}

function showSetupError(text) {
  $("setup").hidden = false;
  $("console").hidden = true;
  if (!$("setup-code").value) $("setup-code").value = session.code;
  const node = $("setup-error");
  node.hidden = !text;
  setText(node, text);
}

function start() {
  if (session.socket) session.socket.disconnect();
  $("setup").hidden = true;
  $("setup-error").hidden = true;
  setText("join-code", session.code);
  showRoomLinks();

  // Rebuilt at every (re)connect: the room the console runs now.
  const auth = () => {
    const payload = { event: session.code, role: "presenter", key: session.key };
    if (session.room !== MAIN_ROOM) payload.room = session.room;
    return payload;
  };
  const socket = connectSocket(auth);
  session.socket = socket;
  trackConnection(socket, (info) => {
    if (socket !== session.socket) return;
    if ((info.code === "not_found" || info.code === "forbidden") && session.room !== MAIN_ROOM) {
      // The room in the address is gone, or not this key's: connect without it (a
      // room's own key names its room).
      setRoom(MAIN_ROOM);
      socket.connect();
      return;
    }
    showSetupError(staffErrorText(info));
  });
  socket.on("welcome", (msg) => {
    applyState(msg);
    learnScope(socket, msg);
  });
  socket.on("presence", showPresence);
  socket.on("room:programme", (msg) => {
    if (socket !== session.socket || !msg || !Array.isArray(msg.rooms)) return;
    session.rooms = msg.rooms;
    session.here = findRoom(msg.rooms, session.room) || session.here;
    renderRooms();
  });
  socket.on("room:closed", (msg) => onRoomClosed(socket, msg));
  socket.on("event:ended", () => {
    session.ended = true;
    setText(
      "ended-banner",
      `This event has ended: the open ${activityNoun("presenter")} was closed, nobody can join any ` +
        "more, and the answers were exported on the server.",
    );
    $("ended-banner").hidden = false;
    $("console").classList.add("ended");
    socket.disconnect(); // new connections are refused from now on
    showConnection("offline", "connection.ended");
    render();
    renderRooms();
  });
  for (const kind of kindsFor("presenter")) {
    for (const [name, handler] of Object.entries(kind.presenter.messages || {})) socket.on(name, handler);
  }
  socket.on("error", (msg) => {
    // The server could not build our state: show why, and ask again a little later.
    toast(staffErrorText(msg && msg.error));
    refreshState();
  });
}

/** A `state:get` answer; one asked for before the latest room move is of the room the
 *  console left: ask again. */
function applySnapshot(snapshot, moves) {
  if (moves !== undefined && moves !== session.moves) refreshState();
  else applyState(snapshot);
}

/** A missed broadcast (an activity's state_seq jumped): fetch the whole state. */
const refreshState = stateRefresher(() => session.socket, applySnapshot, { stamp: () => session.moves });

// -- state ------------------------------------------------------------------------------------
function applyState(msg) {
  $("console").hidden = false;
  $("setup").hidden = true;
  const title = (msg.event && msg.event.title) || "";
  setText("event-title", title);
  document.title = title ? `${title} · Presenter · Plenary` : "Presenter · Plenary";
  if (msg.event && msg.event.code) setText("join-code", msg.event.code);
  if (Array.isArray(msg.rooms)) session.rooms = msg.rooms;
  if (msg.room && msg.room.id) {
    session.here = msg.room;
    setRoom(msg.room.id);
  }
  if (msg.rooms_online && typeof msg.rooms_online === "object") session.roomsOnline = msg.rooms_online;
  session.current = null; // the kind whose activity is on stage sets it again
  eachKind("applyState", msg);
  if (!selectedItem()) session.selected = session.current || newest();
  if (msg.presence) showPresence(msg.presence);
  renderRooms();
  render();
}

/** The selected activity and its kind, or null. */
function selectedItem() {
  const ref = session.selected;
  const kind = ref && kindOf(ref.type);
  const item = kind && kind.presenter ? kind.presenter.item(ref.id) : null;
  return item ? { kind, item } : null;
}

/** The most recently created activity of any kind, or null. */
function newest() {
  let best = null;
  for (const kind of kindsFor("presenter")) {
    for (const item of kind.presenter.items()) {
      if (!best || (item.created_at || 0) >= best.created_at) {
        best = { type: kind.type, id: item.id, created_at: item.created_at || 0 };
      }
    }
  }
  return best && { type: best.type, id: best.id };
}

function showPresence(presence) {
  setText("online", presence.online ?? 0);
  setText("joined", presence.joined ?? 0);
  if (presence.rooms_online && typeof presence.rooms_online === "object") {
    session.roomsOnline = presence.rooms_online;
    showRoomsOnline();
  }
}

// -- rendering -------------------------------------------------------------------------------
function render() {
  eachKind("render");
  renderStage();
}

function renderStage() {
  const found = selectedItem();
  const stage = $("stage");
  const buttons = document.querySelectorAll("[data-stage-action]");
  if (!found) {
    const noun = activityNoun("presenter");
    const any = kindsFor("presenter").some((kind) => kind.presenter.items().length > 0);
    const a = /^[aeiou]/i.test(noun) ? "an" : "a";
    setText("stage-meta", `No ${noun} selected`);
    setText("stage-question", any ? `Select ${a} ${noun}` : `Create ${a} ${noun} to get started`);
    eachKind("drawStage", null);
    for (const b of buttons) b.disabled = true;
    delete stage.dataset.selected;
    delete stage.dataset.type;
    return;
  }
  const { kind, item } = found;
  stage.dataset.selected = item.id;
  stage.dataset.type = kind.type;
  stage.dataset.status = item.status;
  const onStage = ctx.isCurrent(kind.type, item.id) && item.status === "open" ? " · on stage" : "";
  const revealed = item.revealed ? " · revealed" : "";
  setText("stage-meta", `${kind.presenter.describe(item)} · ${statusText(item)}${revealed}${onStage}`);
  setText("stage-question", kind.presenter.title(item));
  kind.presenter.drawStage(item);
  const disabled = {
    open: item.status === "open",
    close: item.status !== "open",
    reveal: Boolean(item.revealed),
  };
  for (const b of buttons) {
    const action = b.dataset.stageAction;
    b.disabled = disabled[action] || session.ended;
    if (action === "open") setText(b, item.status === "closed" ? "Reopen" : "Open");
    if (action === "reveal") setText(b, item.revealed ? "Revealed" : "Reveal results");
  }
}

// -- export and messages ---------------------------------------------------------------------
async function exportAnswers(format) {
  // A room's own key exports its room; the event-wide key the whole event.
  const code = encodeURIComponent(session.code);
  const url =
    session.scope === "room"
      ? `/api/events/${code}/rooms/${encodeURIComponent(session.room)}/export?format=${format}`
      : `/api/events/${code}/export?format=${format}`;
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${session.key}` } });
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        message = staffErrorText((await response.json()).error);
      } catch {
        /* not JSON */
      }
      toast(`Export failed: ${message}`);
      return;
    }
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const name = match ? match[1] : `plenary-${session.code}.${format}`;
    const href = URL.createObjectURL(blob);
    const a = el("a", { href, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10000);
  } catch (err) {
    toast(`Export failed: ${err && err.message ? err.message : "network error"}`);
  }
}

let toastTimer = null;
function toast(text) {
  const node = $("message");
  setText(node, text);
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    node.hidden = true;
  }, 6000);
}

// -- rooms ----------------------------------------------------------------------------------
/** The console runs `room` (or asks for it at the next connect); the address says so. */
function setRoom(room) {
  if (room !== session.room) {
    session.room = room;
    session.editing = null;
    session.confirming = null;
  }
  keepRoomInAddress(room, "hash");
  showRoomLinks();
}

/** The attendee link and the big screen of the console's room. */
function showRoomLinks() {
  const joinUrl = attendeeLink(session.code, session.room);
  const link = $("join-url");
  link.href = joinUrl;
  setText(link, joinUrl.replace(/^https?:\/\//, ""));
  $("screen-link").href = screenPath(session.code, session.room);
}

/**
 * Whether the key is the event-wide one (any room, the programme) or a room's own. A
 * room's key never enters the main room; elsewhere, a change of the programme that
 * cannot apply (an empty order) is refused as `forbidden` to a room's key before
 * anything is checked or changed, and as `bad_request` to the event-wide key.
 */
async function learnScope(socket, msg) {
  if (session.scope !== null) return;
  let scope = null;
  if (msg && typeof msg.key_room === "string") scope = "room";
  else if (msg && "key_room" in msg) scope = "event";
  else if (msg && msg.room && msg.room.id === MAIN_ROOM) scope = "event";
  else {
    const ack = await call(socket, "room:reorder", { order: [] });
    const code = ack.error && ack.error.code;
    if (code === "forbidden") scope = "room";
    else if (code === "bad_request") scope = "event";
  }
  if (socket !== session.socket || scope === null) return; // asked again at the next welcome
  session.scope = scope;
  renderRooms();
}

/** Move the console to `room` without reconnecting (the event-wide key); `force`: also
 *  when the console already counts itself there (its room closed). */
async function enterRoom(room, force = false) {
  if (!room || (room === session.room && !force) || session.moving !== null) return;
  session.moving = room;
  const ack = await call(session.socket, "room:enter", { room });
  session.moving = null;
  if (ack.ok && ack.state) {
    session.moves += 1;
    session.selected = null; // the new room's activity on stage, or its newest
    applyState(ack.state);
    if (session.qrOpen) loadQr();
  } else {
    toast(`Could not go to that room: ${staffErrorText(ack.error)}`);
    renderRooms();
  }
}

function onRoomClosed(socket, msg) {
  const closed = msg && msg.room;
  if (socket !== session.socket || !closed || closed.id !== session.room) return;
  if (session.scope === "room") {
    // This console's key was for that room only: nothing more to run.
    socket.disconnect();
    showSetupError(`The room “${closed.title}” was closed: its presenter key no longer works.`);
    showConnection("offline");
    return;
  }
  toast(`The room “${closed.title}” was closed: this console is back in the main room.`);
  setRoom(MAIN_ROOM); // a reconnect goes there too
  session.moving = null;
  enterRoom(MAIN_ROOM, true);
}

/** The room picker, the room's links, the rooms card. */
function renderRooms() {
  const here = findRoom(session.rooms, session.room) || session.here;
  const eventWide = session.scope === "event";
  const several = hasRooms(session.rooms) || session.room !== MAIN_ROOM;
  $("room-picker").hidden = !(eventWide && several);
  $("room-fixed").hidden = eventWide || !several;
  setText("room-fixed-name", roomTitle(here || { id: session.room }));
  if (eventWide && several) {
    const select = $("room-select");
    const options = openRooms(session.rooms).map((room) =>
      el("option", { value: room.id, selected: room.id === session.room }, roomTitle(room)),
    );
    const same =
      select.options.length === options.length &&
      options.every((o, i) => select.options[i].value === o.value && select.options[i].text === o.text);
    if (!same) select.replaceChildren(...options);
    select.value = session.room;
  }
  showRoomLinks();
  $("rooms-card").hidden = !eventWide;
  if (eventWide) renderRoomRows();
  $("room-create-button").disabled = session.ended;
  if (session.qrOpen) loadQr();
}

/** How to find `node` again once the list is drawn anew (to give it the focus back). */
function focusKey(node) {
  if (!node || !node.closest || !node.closest("#rooms-admin")) return null;
  if (node.id) return `#${CSS.escape(node.id)}`;
  const row = node.closest("[data-room-id]");
  const action = node.dataset && node.dataset.roomAction;
  return row && action ? `[data-room-id="${CSS.escape(row.dataset.roomId)}"] [data-room-action="${action}"]` : null;
}

function renderRoomRows() {
  const rooms = openRooms(session.rooms);
  const key = focusKey(document.activeElement);
  $("rooms-admin").replaceChildren(...rooms.map((room, i) => roomRow(room, i, rooms.length)));
  if (key) {
    // The focus was in the list: on the same control again, else nearby.
    const again = document.querySelector(key);
    if (again && !again.disabled) again.focus();
    else focusIfLost(document.querySelector(key.replace(/\[data-room-action="(up|down)"\]$/, '[data-room-action="edit"]')));
    focusIfLost($("rooms-heading"));
  }
}

function onlineText(room) {
  const n = session.roomsOnline[room.id] || 0;
  return `${n} online`;
}

/** Each room's attendees online, in place (a presence message every second or so). */
function showRoomsOnline() {
  for (const room of openRooms(session.rooms)) {
    const node = document.querySelector(`#rooms-admin [data-room-id="${CSS.escape(room.id)}"] [data-field="online"]`);
    if (node) setText(node, onlineText(room));
  }
}

function roomButton(action, label, titleId, disabled = false) {
  return el(
    "button",
    {
      type: "button",
      class: "button small-button",
      dataset: { roomAction: action },
      "aria-describedby": titleId,
      disabled: disabled || session.ended,
    },
    label,
  );
}

/** A room of the programme: title, times, attendees online; edit, move, close. */
function roomRow(room, index, count) {
  const titleId = `room-row-title-${room.id}`;
  const current = room.id === session.room;
  const times = roomTimes(room);
  const row = el(
    "li",
    { class: current ? "room-row current" : "room-row", dataset: { roomId: room.id }, "aria-current": current ? "true" : null },
    el(
      "div",
      { class: "room-row-info" },
      el("span", { id: titleId, class: "room-row-title", dir: "auto" }, roomTitle(room)),
      el(
        "span",
        { class: "muted small" },
        times ? `${times} · ` : "",
        el("span", { dataset: { field: "online" } }, onlineText(room)),
        current ? " · this console" : "",
      ),
    ),
    el(
      "span",
      { class: "room-row-actions" },
      roomButton("edit", "Edit", titleId),
      roomButton("up", "Move up", titleId, index === 0),
      roomButton("down", "Move down", titleId, index === count - 1),
      room.id === MAIN_ROOM ? null : roomButton("close", "Close", titleId),
    ),
  );
  if (session.editing && session.editing.id === room.id) row.append(editForm(room));
  if (session.confirming === room.id) {
    row.append(
      el(
        "div",
        { class: "room-row-confirm" },
        el("p", {}, `Close “${roomTitle(room)}”? Its activity on stage closes and its people go back to the main room.`),
        el(
          "span",
          { class: "room-row-actions" },
          roomButton("confirm-close", "Close the room", titleId),
          roomButton("cancel", "Cancel", titleId),
        ),
      ),
    );
  }
  return row;
}

function localInput(ms) {
  if (typeof ms !== "number") return "";
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local field's value as epoch ms (the device's time zone), or null. */
function fromLocalInput(value) {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

function editForm(room) {
  const draft = session.editing;
  return el(
    "form",
    { class: "room-row-form", novalidate: true, dataset: { roomId: room.id } },
    el("label", { for: "edit-title" }, "Title"),
    el("input", { id: "edit-title", required: true, maxlength: 120, dir: "auto", value: draft.title, autocomplete: "off" }),
    el("label", { for: "edit-description" }, "Description ", el("span", { class: "optional" }, "(optional)")),
    el("textarea", { id: "edit-description", rows: 2, maxlength: 1000, dir: "auto" }, draft.description),
    el(
      "div",
      { class: "room-times-fields" },
      el(
        "div",
        {},
        el("label", { for: "edit-starts" }, "Starts ", el("span", { class: "optional" }, "(optional)")),
        el("input", { id: "edit-starts", type: "datetime-local", value: draft.starts }),
      ),
      el(
        "div",
        {},
        el("label", { for: "edit-ends" }, "Ends ", el("span", { class: "optional" }, "(optional)")),
        el("input", { id: "edit-ends", type: "datetime-local", value: draft.ends }),
      ),
    ),
    el(
      "span",
      { class: "room-row-actions" },
      el("button", { type: "submit", class: "button small-button primary", id: "edit-save" }, "Save"),
      el("button", { type: "button", class: "button small-button", dataset: { roomAction: "cancel" } }, "Cancel"),
    ),
    el("p", { id: "edit-error", class: "error", role: "alert", hidden: !draft.error }, draft.error || ""),
  );
}

/** What is typed in the edit form survives the list being drawn again. */
function onEditInput(evt) {
  const draft = session.editing;
  if (!draft) return;
  const fields = { "edit-title": "title", "edit-description": "description", "edit-starts": "starts", "edit-ends": "ends" };
  const name = fields[evt.target.id];
  if (name) draft[name] = evt.target.value;
}

async function onRoomsClick(evt) {
  const button = evt.target.closest("button[data-room-action]");
  const row = evt.target.closest("[data-room-id]");
  if (!button || !row || button.type === "submit") return;
  const id = row.dataset.roomId;
  const room = findRoom(session.rooms, id);
  const action = button.dataset.roomAction;
  if (action === "edit" && room) {
    session.editing = {
      id,
      title: room.title,
      description: room.description || "",
      starts: localInput(room.starts_at),
      ends: localInput(room.ends_at),
      error: "",
    };
    session.confirming = null;
    renderRoomRows();
    $("edit-title").focus();
  } else if (action === "close") {
    session.confirming = id;
    session.editing = null;
    renderRoomRows();
    const confirm = document.querySelector(`[data-room-id="${CSS.escape(id)}"] [data-room-action="confirm-close"]`);
    if (confirm) confirm.focus();
  } else if (action === "cancel") {
    const wasEditing = Boolean(session.editing);
    session.editing = null;
    session.confirming = null;
    renderRoomRows();
    const back = document.querySelector(
      `[data-room-id="${CSS.escape(id)}"] [data-room-action="${wasEditing ? "edit" : "close"}"]`,
    );
    if (back) back.focus();
  } else if (action === "up" || action === "down") {
    await moveRoom(id, action === "up" ? -1 : 1);
  } else if (action === "confirm-close") {
    button.disabled = true;
    const ack = await call(session.socket, "room:close", { room: id });
    if (!ack.ok) toast(`Could not close the room: ${staffErrorText(ack.error)}`);
    session.confirming = null;
    if (ack.ok && ack.room) mergeRoom(ack.room);
    renderRooms();
  }
}

/** A changed room from an ack, into the programme (its broadcast may come later). */
function mergeRoom(room) {
  session.rooms = session.rooms.map((r) => (r.id === room.id ? room : r));
}

async function moveRoom(id, step) {
  const order = openRooms(session.rooms).map((room) => room.id);
  const from = order.indexOf(id);
  const to = from + step;
  if (from < 0 || to < 0 || to >= order.length) return;
  [order[from], order[to]] = [order[to], order[from]];
  const ack = await call(session.socket, "room:reorder", { order });
  if (!ack.ok) {
    toast(`Could not move the room: ${staffErrorText(ack.error)}`);
    return;
  }
  if (Array.isArray(ack.rooms)) session.rooms = ack.rooms;
  renderRooms();
}

async function onEditSubmit(evt) {
  const form = evt.target.closest(".room-row-form");
  if (!form) return;
  evt.preventDefault();
  const draft = session.editing;
  if (!draft) return;
  const title = draft.title.trim();
  const showError = (text) => {
    draft.error = text;
    const node = $("edit-error");
    node.hidden = !text;
    setText(node, text);
  };
  if (!title) return showError("A room needs a title.");
  const changes = {
    title,
    description: draft.description.trim(),
    starts_at: fromLocalInput(draft.starts),
    ends_at: fromLocalInput(draft.ends),
  };
  if (changes.starts_at !== null && changes.ends_at !== null && changes.ends_at < changes.starts_at) {
    return showError("The end is before the start.");
  }
  $("edit-save").disabled = true;
  const ack = await call(session.socket, "room:update", { room: draft.id, changes });
  if (!ack.ok) {
    $("edit-save").disabled = false;
    return showError(staffErrorText(ack.error));
  }
  session.editing = null;
  mergeRoom(ack.room);
  renderRooms();
  const back = document.querySelector(`[data-room-id="${CSS.escape(draft.id)}"] [data-room-action="edit"]`);
  if (back) back.focus();
}

/** "Add a room": over REST, which also gives the new room's links (built from the
 *  server's public URL) with its presenter key, shown here once. */
async function onCreateRoom(evt) {
  evt.preventDefault();
  const error = $("room-form-error");
  const showError = (text) => {
    error.hidden = !text;
    setText(error, text || "");
  };
  const title = $("room-title-input").value.trim();
  if (!title) {
    showError("Give the room a title.");
    $("room-title-input").focus();
    return;
  }
  const body = { title };
  const description = $("room-description-input").value.trim();
  if (description) body.description = description;
  const starts = fromLocalInput($("room-starts-input").value);
  const ends = fromLocalInput($("room-ends-input").value);
  if (starts !== null) body.starts_at = starts;
  if (ends !== null) body.ends_at = ends;
  if (starts !== null && ends !== null && ends < starts) return showError("The end is before the start.");
  showError("");
  const button = $("room-create-button");
  button.disabled = true;
  setText(button, "Adding…");
  let answer = null;
  try {
    const response = await fetch(`/api/events/${encodeURIComponent(session.code)}/rooms`, {
      method: "POST",
      headers: { Authorization: `Bearer ${session.key}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    if (response.status === 201 && data && data.room) answer = data;
    else showError(data && data.error ? staffErrorText(data.error) : `The server answered HTTP ${response.status}.`);
  } catch (err) {
    showError(`Could not add the room: ${err && err.message ? err.message : "network error"}`);
  }
  button.disabled = session.ended;
  setText(button, "Add room");
  if (!answer) return;
  for (const id of ["room-title-input", "room-description-input", "room-starts-input", "room-ends-input"]) $(id).value = "";
  if (!findRoom(session.rooms, answer.room.id)) session.rooms = [...session.rooms, answer.room];
  renderRooms();
  showNewRoom(answer);
}

/** A new room's presenter key and links: shown once (the server keeps only a digest). */
function showNewRoom(answer) {
  const urls = answer.urls || {};
  const item = (label, id, url) =>
    url ? [el("dt", {}, label), el("dd", {}, el("a", { id, href: url, target: "_blank", rel: "noopener" }, url))] : [];
  const box = $("new-room-info");
  box.replaceChildren(
    el(
      "p",
      {},
      el("strong", {}, "Room “", el("bdi", {}, answer.room.title), "” added."),
      " Its own presenter key is shown only now: give it, or its presenter link, to the room's presenter.",
    ),
    el(
      "dl",
      {},
      el("dt", {}, "Presenter key"),
      el("dd", {}, el("code", { id: "new-room-key" }, answer.presenter_key)),
      ...item("Presenter link", "new-room-presenter-link", urls.presenter),
      ...item("Attendee link", "new-room-attendee-link", urls.attendee),
      ...item("Big screen", "new-room-screen-link", urls.screen),
    ),
    el("button", { id: "new-room-done", type: "button", class: "button small-button" }, "Done: hide the key"),
  );
  box.dataset.roomId = answer.room.id;
  box.hidden = false;
  box.focus();
}

function hideNewRoom() {
  const box = $("new-room-info");
  box.replaceChildren();
  box.hidden = true;
  delete box.dataset.roomId;
  $("room-title-input").focus();
}

// -- the QR code for slides ----------------------------------------------------------------
function toggleQrPanel() {
  session.qrOpen = !session.qrOpen;
  $("qr-button").setAttribute("aria-expanded", String(session.qrOpen));
  $("qr-panel").hidden = !session.qrOpen;
  if (session.qrOpen) loadQr();
}

/** The QR code of the console's room (the server draws it from its public URL). */
async function loadQr() {
  const room = session.room;
  if (session.qr && session.qr.room === room) return;
  const error = $("qr-error");
  error.hidden = true;
  const got = await fetchQr(session.code, room);
  if (room !== session.room) {
    if (got) URL.revokeObjectURL(got.url);
    return;
  }
  if (!got) {
    error.hidden = false;
    setText(error, "Could not load the QR code; try again.");
    return;
  }
  if (session.qr) URL.revokeObjectURL(session.qr.url);
  session.qr = { room, ...got };
  const image = $("qr-image");
  image.src = got.url;
  image.alt = `QR code of ${got.link}`;
  setText("qr-link", got.link);
  const download = $("qr-download");
  download.href = got.url;
  download.download = `plenary-${session.code}-${room}-qr.svg`;
}

// After every module of the page ran, and once the (English) catalogue is loaded.
whenLoaded(async () => {
  await setupI18n({ only: ["en"] });
  init();
});
