// Error acks and refused connections as sentences people can act on. Every error has a
// stable `code` (docs/protocol.md, "Error codes"; "timeout" and "offline" are the
// client's own); the text shown to attendees is the catalogue's `errors.<code>` in their
// language (js/core/i18n.js), never the server's English `message`.

import { has, t } from "./i18n.js";

/** Every code the pages translate: the server's (docs/protocol.md) and the client's. */
export const ERROR_CODES = [
  "bad_request",
  "too_long",
  "bad_role",
  "unknown_event",
  "name_required",
  "bad_key",
  "bad_token",
  "unauthorized",
  "forbidden",
  "not_found",
  "not_open",
  "bad_choice",
  "too_late",
  "already_answered",
  "not_eligible",
  "rate_limited",
  "event_full",
  "event_ended",
  "unavailable",
  "internal",
  "timeout",
  "offline",
];

/** A sentence for an error ack, a connect_error or a REST error body, in the page's
 *  language, chosen by its `code`. A code the catalogue does not know (a newer server)
 *  falls back to the server's message. */
export function errorText(error) {
  const code = (error && error.code) || "";
  if (code && has(`errors.${code}`)) return t(`errors.${code}`);
  if (error && error.message) return String(error.message);
  return t("errors.unknown", { code: code || "?" });
}

/** For the English-only staff pages (presenter, admin): the server's own message, which
 *  names the exact limit or field, else errorText(). */
export function staffErrorText(error) {
  return error && error.message ? String(error.message) : errorText(error);
}

/** The `{code, message}` of a refused connection (Socket.IO connect_error). */
export function connectErrorInfo(err) {
  const data = err && err.data;
  if (data && typeof data === "object" && data.code) {
    return { ...data, message: data.message || err.message, refused: true };
  }
  return { code: "offline", message: "Cannot reach the server; retrying…", refused: false };
}
