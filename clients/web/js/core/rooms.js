// Rooms: an event's programme (its main room and the rooms the organiser adds), as every
// page shows it. The wire protocol (docs/protocol.md): every `welcome` and `state:get`
// carries `room` (the room the client is in) and `rooms` (the programme, main room
// first); `room:enter {room}` moves a connected client; `room:programme {rooms}` and
// `room:closed {room}` announce changes. A room's id is `main` or lower-case letters,
// digits, `_` and `-`; what organisers typed (titles, descriptions) is shown as typed.

import { formatDay, formatTime, t } from "./i18n.js";

export const MAIN_ROOM = "main";
/** The title the server gives the main room until someone renames it. */
const DEFAULT_MAIN_TITLE = "Main room";
const ROOM_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The room named in the page's parameters (`room=`), or the main room. */
export function roomParam(params) {
  const room = String((params && params.room) || "").trim();
  return ROOM_ID.test(room) ? room : MAIN_ROOM;
}

/** The rooms of the programme that are open, in programme order. */
export function openRooms(rooms) {
  return (Array.isArray(rooms) ? rooms : []).filter((room) => room && room.id && !room.closed);
}

/** True when the programme has a room besides the main one (the pages then show it). */
export function hasRooms(rooms) {
  return openRooms(rooms).some((room) => room.id !== MAIN_ROOM);
}

/** A room's title: as the organiser typed it; the main room's default one in the page's
 *  language. */
export function roomTitle(room) {
  if (!room) return "";
  if (room.id === MAIN_ROOM && (!room.title || room.title === DEFAULT_MAIN_TITLE)) return t("rooms.main_title");
  return String(room.title || "");
}

function dayOf(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** A time with its day when that is not today ("14:00", "Tue 14 May, 14:00"). */
function when(ms, now) {
  return dayOf(ms) === dayOf(now) ? formatTime(ms) : t("rooms.day_time", { day: formatDay(ms), time: formatTime(ms) });
}

const isTime = (value) => typeof value === "number" && Number.isFinite(value);

/** When a room runs, in the page's language and the device's time zone ("14:00–15:30",
 *  "From 9:00 AM", ""). */
export function roomTimes(room, now = Date.now()) {
  const start = room && isTime(room.starts_at) ? room.starts_at : null;
  const end = room && isTime(room.ends_at) ? room.ends_at : null;
  if (start !== null && end !== null) {
    const last = dayOf(start) === dayOf(end) ? formatTime(end) : when(end, now);
    return t("rooms.time_range", { start: when(start, now), end: last });
  }
  if (start !== null) return t("rooms.from", { time: when(start, now) });
  if (end !== null) return t("rooms.until", { time: when(end, now) });
  return "";
}

/** The room `id` of the programme, or null. */
export function findRoom(rooms, id) {
  return (Array.isArray(rooms) ? rooms : []).find((room) => room && room.id === id) || null;
}

/** An attendee's link into `room` (this page's origin; the server's QR code uses the
 *  public URL it was started with). */
export function attendeeLink(code, room, origin = window.location.origin) {
  const link = `${origin}/?event=${encodeURIComponent(code)}`;
  return room === MAIN_ROOM ? link : `${link}&room=${encodeURIComponent(room)}`;
}

/** The big screen's address for `room`. */
export function screenPath(code, room) {
  const path = `/screen?event=${encodeURIComponent(code)}`;
  return room === MAIN_ROOM ? path : `${path}&room=${encodeURIComponent(room)}`;
}

/** Where the server draws `room`'s QR code (an SVG of the attendee link). */
export function qrPath(code, room) {
  return `/api/events/${encodeURIComponent(code)}/rooms/${encodeURIComponent(room)}/qr.svg`;
}

/**
 * The QR code of `room`'s attendee link, drawn by the server (never an online service):
 * `{ url, link }`, `url` an object URL of the SVG (revoke it when it is replaced), `link`
 * what the code says (the server's `X-Attendee-Link`, built from its public URL). Null
 * when the server cannot give it (a closed room, no connection).
 */
export async function fetchQr(code, room) {
  try {
    const response = await fetch(qrPath(code, room), { cache: "no-store" });
    if (!response.ok) return null;
    const link = response.headers.get("X-Attendee-Link") || attendeeLink(code, room);
    const blob = await response.blob();
    const svg = blob.type === "image/svg+xml" ? blob : new Blob([blob], { type: "image/svg+xml" });
    return { url: URL.createObjectURL(svg), link };
  } catch {
    return null;
  }
}

/** Keep `room` in the address (`room=`, in the query or the fragment), so that a reload
 *  comes back to it; the main room is the address without it. */
export function keepRoomInAddress(room, where = "search") {
  const url = new URL(window.location.href);
  if (where === "hash") {
    const params = new URLSearchParams(url.hash.replace(/^#/, ""));
    if (room === MAIN_ROOM) params.delete("room");
    else params.set("room", room);
    url.hash = params.toString();
  } else if (room === MAIN_ROOM) {
    url.searchParams.delete("room");
  } else {
    url.searchParams.set("room", room);
  }
  if (url.href !== window.location.href) window.history.replaceState(null, "", url);
}
