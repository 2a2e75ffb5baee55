// World cafés on the attendee page: "Round 2 of 4 – Table 37 – Green transition", the
// time left on the server's clock, the warning before the round ends, the tablemates
// with their organisations, the table's video room, and the harvest box (add, edit and
// remove one's own takeaways while the round is the current one), live like a shared
// notepad: what a tablemate adds, edits or removes shows at once (`cafe:table_harvests`).
//
// Taking part: the page checks its person in (`cafe:join`) when the café comes on stage
// (`cafe:started`) and after every `welcome` that shows it, and checks them out
// (`cafe:leave`) when they leave the café (its own button) or the event (the page's
// "Leave"). A round seats who is checked in (docs/cafe.md, "Who is seated").
// A takeaway is kept until the server acknowledges it and re-sent with the same
// harvest_id after a reconnect, so it is never written twice.

import { announce, focusIfLost, userText } from "../../core/a11y.js";
import { ServerClock, clockText } from "../../core/clock.js";
import { call } from "../../core/connection.js";
import { $, el, setText, storage } from "../../core/dom.js";
import { errorText } from "../../core/errors.js";
import { t, tParts } from "../../core/i18n.js";
import { registerKind } from "../../core/kinds.js";
import { RETRYABLE } from "../../core/resend.js";
import { newVoteId } from "../../core/sync.js";
import { CAFE, mergeCafe } from "./model.js";

// The cafés this person left on this device (not joined again by a welcome).
const leftKey = (code) => `plenary.cafe.left.${code}`;

let ctx = null; // the page shell's context (js/attendee.js)
const clock = new ServerClock();
const state = {
  me: null, // the attendee's id
  cafe: null, // the café on stage
  assignment: null, // the attendee's table this round (cafe:assignment), or null
  warning: null, // cafe:warning of the assignment's round
  over: null, // cafe:round_ended of the assignment's round
  left: new Set(), // ids of the cafés this person left
  joining: false,
  harvests: [], // this round's harvests of the attendee's table that the page knows
  harvestsVersion: 0, // the `version` of the newest table list (or own change) shown
  heard: 0, // tablemates' new takeaways not announced yet
  heardTimer: null,
  editing: null, // the harvest_id in the form, or null for a new takeaway
  sending: null, // {cafe_id, harvest_id, text}: waiting for its ack
  note: null, // () => the harvest box's status text
  timer: null,
  listTimer: null,
};

// -- building the view ---------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  const form = el(
    "form",
    { id: "cafe-harvest-form", novalidate: true },
    el("label", { for: "cafe-harvest-text", dataset: { i18n: "cafe.harvest_label" } }, t("cafe.harvest_label")),
    el("textarea", { id: "cafe-harvest-text", rows: 3, maxlength: 500, dir: "auto" }),
    el(
      "div",
      { class: "cafe-harvest-buttons" },
      el("button", { id: "cafe-harvest-send", type: "submit", class: "button primary" }, t("cafe.harvest_add")),
      el(
        "button",
        { id: "cafe-harvest-cancel", type: "button", class: "button", hidden: true, dataset: { i18n: "cafe.harvest_cancel" } },
        t("cafe.harvest_cancel"),
      ),
    ),
    el("p", { id: "cafe-harvest-status", class: "answer-status", role: "status" }),
  );
  form.addEventListener("submit", onHarvest);
  form.querySelector("#cafe-harvest-cancel").addEventListener("click", cancelEdit);
  const harvestList = el("ul", { id: "cafe-harvests", class: "cafe-harvests" });
  harvestList.addEventListener("click", onHarvestClick);
  const leave = el("button", { id: "cafe-leave", type: "button", class: "link-button", dataset: { i18n: "cafe.leave" } }, t("cafe.leave"));
  leave.addEventListener("click", leaveCafe);
  const rejoin = el("button", { id: "cafe-rejoin", type: "button", class: "button primary big", dataset: { i18n: "cafe.rejoin" } }, t("cafe.rejoin"));
  rejoin.addEventListener("click", rejoinCafe);
  ctx.stage.append(
    el(
      "article",
      { id: "cafe", class: "card cafe", hidden: true, "aria-labelledby": "cafe-heading" },
      el("p", { id: "cafe-title", class: "eyebrow", dir: "auto" }),
      // tabindex -1: the focus comes here when the café replaces what had it.
      el("h1", { id: "cafe-heading", class: "question cafe-heading", tabindex: "-1" }),
      el("p", { id: "cafe-text", class: "muted" }),
      el(
        "div",
        { id: "cafe-seat", hidden: true },
        el("p", { id: "cafe-time", class: "cafe-time", role: "timer" }),
        el("p", { id: "cafe-warning", class: "cafe-warning", hidden: true }),
        el("p", { id: "cafe-host-note", class: "cafe-host-note", hidden: true, dataset: { i18n: "cafe.you_host" } }, t("cafe.you_host")),
        el(
          "a",
          { id: "cafe-room-link", class: "button primary big", target: "_blank", rel: "noopener noreferrer", hidden: true, dataset: { i18n: "cafe.room_link" } },
          t("cafe.room_link"),
        ),
        el("h2", { id: "cafe-tablemates-title", dataset: { i18n: "cafe.tablemates_title" } }, t("cafe.tablemates_title")),
        el("ul", { id: "cafe-tablemates", class: "cafe-tablemates", "aria-labelledby": "cafe-tablemates-title" }),
        el("p", { id: "cafe-alone", class: "muted", hidden: true, dataset: { i18n: "cafe.tablemates_none" } }, t("cafe.tablemates_none")),
        el(
          "section",
          { id: "cafe-harvest", class: "cafe-harvest", "aria-labelledby": "cafe-harvest-title" },
          el("h2", { id: "cafe-harvest-title", tabindex: "-1", dataset: { i18n: "cafe.harvest_title" } }, t("cafe.harvest_title")),
          form,
          el("p", { id: "cafe-harvests-empty", class: "muted small", dataset: { i18n: "cafe.harvest_empty" } }, t("cafe.harvest_empty")),
          harvestList,
        ),
      ),
      rejoin,
      el("p", { class: "cafe-leave-line" }, leave),
    ),
  );
}

// -- the shell's hooks ---------------------------------------------------------------------
function start() {
  state.left = new Set(storage.get(leftKey(ctx.code)) || []);
}

function forget(code) {
  storage.set(leftKey(code), null);
  if (code !== ctx.code) return;
  reset();
}

function reset() {
  stopTimer();
  clearTimeout(state.listTimer);
  clearTimeout(state.heardTimer);
  Object.assign(state, {
    cafe: null,
    assignment: null,
    warning: null,
    over: null,
    left: new Set(),
    joining: false,
    harvests: [],
    harvestsVersion: 0,
    heard: 0,
    heardTimer: null,
    editing: null,
    sending: null,
    note: null,
  });
  render();
}

function stop() {
  stopTimer();
  clearTimeout(state.listTimer);
  clearTimeout(state.heardTimer);
  Object.assign(state, { sending: null, heard: 0, heardTimer: null });
}

/** `welcome` (and `state:get`): the café on stage, with the attendee's table while a
 *  round lasts; after a reconnect too. */
function applyState(msg) {
  if (msg.attendee && msg.attendee.id) state.me = msg.attendee.id;
  clock.learn(msg.server_time);
  const activity = msg.activity;
  if (!activity || activity.type !== CAFE.type || !activity.cafe) {
    if (state.cafe) clear();
    else ctx.leaveStage(CAFE.type);
    return;
  }
  setCafe(activity.cafe);
  const mine = activity.assignment && activity.assignment.cafe_id === state.cafe.id ? activity.assignment : null;
  if (mine) {
    setAssignment(mine);
    listHarvestsSoon(); // what this person (and the table) wrote before the reconnect
  } else if (!stillMine()) {
    dropAssignment();
  }
  ctx.enterStage(CAFE.type);
  render();
  focusIfLost($("cafe-heading"));
  join();
}

/** Another kind's activity went on stage. */
function clear() {
  state.cafe = null;
  dropAssignment();
  render();
  ctx.leaveStage(CAFE.type);
}

// -- the café and the attendee's table -----------------------------------------------------
function setCafe(incoming) {
  const known = state.cafe && state.cafe.id === incoming.id ? state.cafe : null;
  if (!known) dropAssignment();
  state.cafe = mergeCafe(known, incoming);
}

/** The welcome shows no table once the round's time is up; the page keeps showing it
 *  (with "time is up") until the next round starts: takeaways can still be written. */
function stillMine() {
  const a = state.assignment;
  const cafe = state.cafe;
  return Boolean(a && cafe && a.cafe_id === cafe.id && a.round === cafe.round && cafe.status === "open");
}

function sameSeat(a, b) {
  return Boolean(a && b && a.cafe_id === b.cafe_id && a.round === b.round && a.table === b.table);
}

function setAssignment(incoming) {
  const before = state.assignment;
  if (before && before.cafe_id === incoming.cafe_id && incoming.round < before.round) return; // late
  const fresh = !sameSeat(before, incoming);
  state.assignment = incoming;
  if (state.cafe && state.cafe.id === incoming.cafe_id && incoming.round > (state.cafe.round || 0)) {
    state.cafe = { ...state.cafe, round: incoming.round, ends_at: incoming.ends_at };
  }
  if (!fresh) return;
  state.warning = null;
  state.over = null;
  state.harvestsVersion = 0; // another table: its lists count afresh
  if (!before || before.round !== incoming.round) {
    state.harvests = [];
    state.editing = null;
    state.note = null;
  }
  announce(
    t("cafe.announce_assignment", {
      round: incoming.round,
      rounds: incoming.rounds,
      table: incoming.table,
      topic: incoming.topic,
    }),
  );
}

function dropAssignment() {
  state.assignment = null;
  state.warning = null;
  state.over = null;
  state.harvests = [];
  state.harvestsVersion = 0;
  state.editing = null;
}

function seated() {
  return Boolean(state.assignment && state.cafe && state.assignment.cafe_id === state.cafe.id);
}

function ours(msg) {
  return Boolean(msg && state.cafe && msg.cafe_id === state.cafe.id);
}

// -- server messages -----------------------------------------------------------------------
function onStarted(msg) {
  if (!msg || !msg.cafe) return;
  clock.learn(msg.ts);
  const fresh = !state.cafe || state.cafe.id !== msg.cafe.id || state.cafe.status !== "open";
  setCafe(msg.cafe);
  ctx.enterStage(CAFE.type);
  render();
  focusIfLost($("cafe-heading"));
  if (fresh) announce(t("cafe.announce_started", { title: msg.cafe.title || "" }));
  join();
}

function onAssignment(msg) {
  if (!msg) return;
  clock.learn(msg.ts);
  if (!ours(msg)) {
    ctx.refresh(); // a table in a café we do not know: we missed its cafe:started
    return;
  }
  setAssignment(msg);
  render();
  focusIfLost($("cafe-heading"));
}

/** Someone joined or left the attendee's table: the table as it is now. */
function onTable(msg) {
  if (!ours(msg) || !seated() || msg.round !== state.assignment.round) return;
  clock.learn(msg.ts);
  const { joined, left, ...assignment } = msg;
  state.assignment = { ...state.assignment, ...assignment };
  renderSeat();
}

function onWarning(msg) {
  if (!ours(msg)) return;
  clock.learn(msg.ts);
  if (!seated() || msg.round !== state.assignment.round) return;
  state.warning = msg;
  renderSeat();
  announce(warningText());
}

function onRoundEnded(msg) {
  if (!ours(msg)) return;
  clock.learn(msg.ts);
  if (msg.round >= (state.cafe.round || 0)) state.cafe = { ...state.cafe, round: msg.round, ends_at: msg.ends_at };
  if (seated() && msg.round === state.assignment.round) state.over = msg;
  render();
  announce(t("cafe.announce_round_over", { round: msg.round }));
}

function onEnded(msg) {
  if (!msg || !msg.cafe || !state.cafe || msg.cafe.id !== state.cafe.id) return;
  clock.learn(msg.ts);
  setCafe(msg.cafe);
  dropAssignment();
  state.sending = null;
  render();
  focusIfLost($("cafe-heading"));
  announce(t("cafe.announce_ended"));
}

// -- joining and leaving -------------------------------------------------------------------
/** Check in (again): after every welcome and when the café starts; a no-op on the server
 *  for someone checked in already. The ack carries the table, if a round runs. */
async function join() {
  const cafe = state.cafe;
  if (!cafe || cafe.status !== "open" || state.left.has(cafe.id) || state.joining) return;
  if (!ctx.socket || !ctx.socket.connected) return; // the next welcome joins
  state.joining = true;
  const ack = await call(ctx.socket, "cafe:join", { cafe_id: cafe.id });
  state.joining = false;
  if (!state.cafe || state.cafe.id !== cafe.id) return;
  if (ack.ok) {
    if (ack.assignment) {
      setAssignment(ack.assignment);
      render();
      focusIfLost($("cafe-heading"));
      listHarvestsSoon(); // a latecomer: what the table wrote before they sat down
    }
    sendHarvest(); // a takeaway that waited for the connection
    return;
  }
  if (ack.error && ack.error.code === "not_open") ctx.refresh(); // the café is over
}

async function leaveCafe() {
  const cafe = state.cafe;
  if (!cafe) return;
  state.left.add(cafe.id);
  storage.set(leftKey(ctx.code), [...state.left]);
  dropAssignment();
  state.sending = null;
  state.note = null;
  render();
  focusIfLost($("cafe-heading"));
  if (cafe.status === "open") await call(ctx.socket, "cafe:leave", { cafe_id: cafe.id });
}

function rejoinCafe() {
  const cafe = state.cafe;
  if (!cafe) return;
  state.left.delete(cafe.id);
  storage.set(leftKey(ctx.code), [...state.left]);
  render();
  $("cafe-heading").focus();
  join();
}

/** The page's "Leave" (the event): check out of the café first. The shell's own handler
 *  runs after this one (it is registered later) and disconnects; socket.io sends what
 *  was emitted before the disconnect. */
function onLeaveEvent() {
  const cafe = state.cafe;
  if (cafe && cafe.status === "open" && ctx.socket && ctx.socket.connected) {
    ctx.socket.emit("cafe:leave", { cafe_id: cafe.id });
  }
}

// -- harvests ------------------------------------------------------------------------------
function harvestable() {
  return seated() && state.cafe.status === "open" && state.assignment.round === state.cafe.round;
}

function onHarvest(evt) {
  evt.preventDefault();
  if (!harvestable()) return;
  const text = $("cafe-harvest-text").value.trim();
  if (!text) {
    showNote(() => t("cafe.harvest_empty_text"));
    $("cafe-harvest-text").focus();
    return;
  }
  const same = state.sending && state.sending.text === text ? state.sending : null;
  state.sending = same || { cafe_id: state.cafe.id, harvest_id: state.editing || newVoteId(), text };
  sendHarvest();
}

let inFlight = false;

async function sendHarvest() {
  const pending = state.sending;
  if (!pending || inFlight) return;
  if (!ctx.socket || !ctx.socket.connected) {
    showNote(() => t("cafe.harvest_offline"));
    return;
  }
  // The button stays enabled (disabling it would drop the keyboard focus): a second
  // press while this one is on its way sends nothing.
  inFlight = true;
  showNote(() => t("cafe.harvest_sending"));
  const ack = await call(ctx.socket, "cafe:harvest", pending);
  inFlight = false;
  if (state.sending !== pending) return; // left meanwhile
  if (ack.ok) {
    state.sending = null;
    upsertHarvest(ack.harvest);
    ownChange(ack);
    const wasEditing = state.editing !== null;
    state.editing = null;
    $("cafe-harvest-text").value = "";
    showNote(() => t("cafe.harvest_saved"));
    renderHarvests();
    if (wasEditing) $("cafe-harvest-text").focus();
    return;
  }
  const error = ack.error || {};
  if (RETRYABLE.has(error.code)) {
    // Kept, with its harvest_id: sent again after the next welcome (never twice).
    showNote(() => (error.code === "offline" ? t("cafe.harvest_offline") : errorText(error)));
    return;
  }
  state.sending = null;
  showNote(() => errorText(error));
}

function upsertHarvest(harvest) {
  if (!harvest) return;
  const i = state.harvests.findIndex((h) => h.author === harvest.author && h.harvest_id === harvest.harvest_id);
  if (i >= 0) state.harvests[i] = harvest;
  else state.harvests.push(harvest);
}

async function onHarvestClick(evt) {
  const button = evt.target.closest("button[data-harvest-action]");
  const item = evt.target.closest("[data-harvest-id]");
  if (!button || !item || !harvestable()) return;
  const id = item.dataset.harvestId;
  const harvest = state.harvests.find((h) => h.harvest_id === id && h.author === state.me);
  if (!harvest) return;
  if (button.dataset.harvestAction === "edit") {
    state.editing = id;
    state.sending = null;
    $("cafe-harvest-text").value = harvest.text;
    renderHarvestForm();
    $("cafe-harvest-text").focus();
    return;
  }
  if (button.dataset.busy) return;
  button.dataset.busy = "1";
  const ack = await call(ctx.socket, "cafe:harvest_remove", { cafe_id: state.cafe.id, harvest_id: id });
  if (ack.ok || (ack.error && ack.error.code === "not_found")) {
    state.harvests = state.harvests.filter((h) => !(h.harvest_id === id && h.author === state.me));
    ownChange(ack);
    if (state.editing === id) cancelEdit();
    showNote(() => t("cafe.harvest_removed"));
    renderHarvests();
    focusIfLost($("cafe-harvest-title"));
    return;
  }
  delete button.dataset.busy;
  showNote(() => errorText(ack.error));
}

function cancelEdit() {
  state.editing = null;
  state.sending = null;
  $("cafe-harvest-text").value = "";
  renderHarvestForm();
  $("cafe-harvest-text").focus();
}

/** What the attendee's table wrote this round (after a reconnect or a reload): asked a
 *  moment later, so that a whole room reconnecting at once does not ask at once. */
function listHarvestsSoon() {
  clearTimeout(state.listTimer);
  state.listTimer = setTimeout(listHarvests, 200 + Math.random() * 3000);
}

async function listHarvests() {
  if (!seated()) return;
  const cafeId = state.cafe.id;
  const round = state.assignment.round;
  const version = state.harvestsVersion;
  const ack = await call(ctx.socket, "cafe:harvests", { cafe_id: cafeId });
  if (!ack.ok || !seated() || state.cafe.id !== cafeId || state.assignment.round !== round) return;
  if (state.harvestsVersion !== version) return; // a live list came meanwhile: newer
  state.harvests = (ack.harvests || []).filter((h) => h.round === round);
  renderHarvests();
}

/** An own change acknowledged: a table list older than it (sent before it, arriving
 *  after) would take it away again; the list that has it comes with its own version. */
function ownChange(ack) {
  if (Number.isInteger(ack.version)) state.harvestsVersion = Math.max(state.harvestsVersion, ack.version);
}

/** A tablemate (or this person) added, edited or removed a takeaway: the table's list as
 *  it is now. The newest `version` wins: two server processes may send out of order. */
function onTableHarvests(msg) {
  if (!ours(msg) || !seated() || !Array.isArray(msg.harvests)) return;
  const a = state.assignment;
  if (msg.round !== a.round || msg.table !== a.table || msg.version < state.harvestsVersion) return;
  clock.learn(msg.ts);
  state.harvestsVersion = msg.version;
  const known = new Set(state.harvests.map((h) => `${h.author}:${h.harvest_id}`));
  const added = msg.harvests.filter((h) => h.author !== state.me && !known.has(`${h.author}:${h.harvest_id}`));
  state.harvests = msg.harvests.slice();
  renderHarvests();
  if (added.length) heard(added.length);
}

// Tablemates' new takeaways are said to screen readers at most once in QUIET_MS (a busy
// table would talk over the conversation): the first at once, the next ones added up.
// Edits and removals are not announced; the list shows them.
const QUIET_MS = 10000;

function heard(count) {
  state.heard += count;
  if (state.heardTimer === null) sayHeard();
}

function sayHeard() {
  state.heardTimer = null;
  const count = state.heard;
  state.heard = 0;
  if (!count || !seated()) return;
  announce(t("cafe.announce_harvests", { count }));
  state.heardTimer = setTimeout(sayHeard, QUIET_MS);
}

function showNote(parts) {
  state.note = parts;
  renderNote();
}

// -- drawing -------------------------------------------------------------------------------
function mode() {
  const cafe = state.cafe;
  if (!cafe) return "none";
  if (cafe.status === "closed") return "ended";
  if (state.left.has(cafe.id)) return "left";
  if (seated()) return "seated";
  if (cafe.status !== "open" || !cafe.round) return "waiting";
  if (clock.left(cafe.ends_at) > 0) return "waiting"; // a round runs; the table is coming
  return cafe.round >= cafe.rounds ? "last" : "between";
}

function render() {
  const cafe = state.cafe;
  const article = $("cafe");
  if (!article) return;
  const current = mode();
  article.hidden = current === "none";
  if (current === "none") {
    stopTimer();
    return;
  }
  article.dataset.state = current;
  article.dataset.cafeId = cafe.id;
  setText("cafe-title", cafe.title || t("cafe.eyebrow"));
  const heading = $("cafe-heading");
  const text = $("cafe-text");
  const a = state.assignment;
  if (current === "seated") {
    article.dataset.round = String(a.round);
    article.dataset.table = String(a.table);
    heading.replaceChildren(
      ...tParts("cafe.heading", { round: a.round, rounds: a.rounds, table: a.table, topic: userText(a.topic) }),
    );
    text.hidden = true;
  } else {
    delete article.dataset.table;
    article.dataset.round = String(cafe.round || 0);
    const next = (cafe.round || 0) + 1;
    const texts = {
      waiting: ["cafe.waiting_title", "cafe.waiting"],
      between: ["cafe.between_title", "cafe.between"],
      last: ["cafe.last_title", "cafe.last"],
      ended: ["cafe.ended_title", "cafe.ended"],
      left: ["cafe.left_title", "cafe.left"],
    }[current];
    setText(heading, t(texts[0], { round: cafe.round || 0 }));
    setText(text, t(texts[1], { round: cafe.round || 0, next }));
    text.hidden = false;
  }
  $("cafe-seat").hidden = current !== "seated";
  $("cafe-rejoin").hidden = current !== "left" || cafe.status !== "open";
  $("cafe-leave").hidden = cafe.status !== "open" || current === "left";
  if (current === "seated") {
    renderSeat();
    startTimer();
  } else {
    stopTimer();
  }
}

function renderSeat() {
  if (!seated()) return;
  const a = state.assignment;
  const host = a.host && a.host === state.me;
  $("cafe-host-note").hidden = !host;
  const link = $("cafe-room-link");
  link.hidden = !a.room_url;
  if (a.room_url) link.href = a.room_url;
  else link.removeAttribute("href");
  const mates = a.tablemates || [];
  $("cafe-tablemates").replaceChildren(...mates.map((m) => mateItem(m, a.host)));
  $("cafe-alone").hidden = mates.length > 0;
  tick();
  renderHarvests();
}

function mateItem(mate, hostId) {
  const about = [mate.organisation, mate.country].filter((v) => v);
  const parts = [];
  about.forEach((value, i) => {
    if (i) parts.push(" · ");
    parts.push(userText(value));
  });
  return el(
    "li",
    { class: "cafe-mate", dataset: { id: mate.id } },
    el("span", { class: "cafe-mate-name", dir: "auto" }, mate.name || "—"),
    mate.id === hostId ? el("span", { class: "cafe-badge" }, t("cafe.host_badge")) : null,
    about.length ? el("span", { class: "cafe-mate-org small muted" }, parts) : null,
  );
}

function warningText() {
  const w = state.warning;
  const seconds = w ? Math.max(1, Math.min(w.seconds_left, Math.ceil(clock.left(w.ends_at) / 1000))) : 60;
  return t("cafe.warning", { count: Math.max(1, Math.ceil(seconds / 60)) });
}

/** The time left (every second while seated) and the warning or "time is up". */
function tick() {
  if (!seated()) return;
  const left = clock.left(state.assignment.ends_at);
  const up = left <= 0 || Boolean(state.over);
  const last = state.assignment.round >= state.assignment.rounds;
  const upText = last ? t("cafe.time_up_last") : t("cafe.time_up");
  setText("cafe-time", up ? upText : t("cafe.time_left", { time: clockText(left) }));
  $("cafe-time").dataset.state = up ? "up" : state.warning ? "warning" : "running";
  const warning = $("cafe-warning");
  const show = !up && Boolean(state.warning);
  warning.hidden = !show;
  if (show) setText(warning, warningText());
}

function startTimer() {
  if (state.timer === null) state.timer = setInterval(tick, 1000);
}

function stopTimer() {
  if (state.timer !== null) clearInterval(state.timer);
  state.timer = null;
}

function renderHarvestForm() {
  const editing = state.editing !== null;
  setText("cafe-harvest-send", t(editing ? "cafe.harvest_save" : "cafe.harvest_add"));
  $("cafe-harvest-cancel").hidden = !editing;
  const open = harvestable();
  $("cafe-harvest-text").disabled = !open;
  $("cafe-harvest-send").disabled = !open;
}

function renderHarvests() {
  renderHarvestForm();
  const changeable = harvestable();
  const items = state.harvests.map((h) => {
    const mine = h.author === state.me;
    const textId = `cafe-harvest-${h.harvest_id}`;
    const item = el(
      "li",
      { class: "cafe-harvest-item", dataset: { harvestId: h.harvest_id, mine: String(mine) } },
      el("p", { id: textId, class: "cafe-harvest-text", dir: "auto" }, h.text),
      el(
        "p",
        { class: "small muted cafe-harvest-meta" },
        mine ? t("cafe.harvest_mine") : tParts("cafe.harvest_by", { name: userText(h.author_name || "") }),
      ),
    );
    if (mine && changeable) {
      item.append(
        el(
          "span",
          { class: "cafe-harvest-actions" },
          el("button", { type: "button", class: "button small-button", dataset: { harvestAction: "edit" }, "aria-describedby": textId }, t("cafe.harvest_edit")),
          el("button", { type: "button", class: "button small-button", dataset: { harvestAction: "remove" }, "aria-describedby": textId }, t("cafe.harvest_remove")),
        ),
      );
    }
    return item;
  });
  const list = $("cafe-harvests");
  // A tablemate's change redraws the list: the focus stays on the button that had it.
  const active = document.activeElement;
  const hadFocus = list.contains(active) ? active : null;
  const focusedId = hadFocus && hadFocus.closest("[data-harvest-id]")?.dataset.harvestId;
  const focusedAction = hadFocus && hadFocus.dataset.harvestAction;
  list.replaceChildren(...items);
  $("cafe-harvests-empty").hidden = items.length > 0;
  if (hadFocus) {
    const again =
      focusedId && focusedAction
        ? list.querySelector(`[data-harvest-id="${CSS.escape(focusedId)}"] [data-harvest-action="${focusedAction}"]`)
        : null;
    if (again) again.focus();
    else focusIfLost($("cafe-harvest-title"));
  }
  renderNote();
}

function renderNote() {
  const node = $("cafe-harvest-status");
  const text = state.note ? state.note() : "";
  // Only a change is written: the element is a live region.
  if (node.textContent !== text) node.textContent = text;
}

function localeChanged() {
  render();
}

registerKind({
  ...CAFE,
  attendee: {
    mount(shell) {
      mount(shell);
      // Before the shell's own handler (registered after every kind's mount).
      $("leave").addEventListener("click", onLeaveEvent);
    },
    start,
    forget,
    stop,
    applyState,
    clear,
    localeChanged,
    connectionChanged: () => {
      if (state.sending) showNote(() => t("cafe.harvest_offline"));
    },
    messages: {
      "cafe:started": onStarted,
      "cafe:assignment": onAssignment,
      "cafe:table": onTable,
      "cafe:table_harvests": onTableHarvests,
      "cafe:warning": onWarning,
      "cafe:round_ended": onRoundEnded,
      "cafe:ended": onEnded,
    },
  },
});
