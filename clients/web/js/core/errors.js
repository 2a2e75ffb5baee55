// Error acks and refused connections as sentences people can act on. The server sends a
// readable `message` with every error (docs/protocol.md); these texts are the fallback.

const READABLE_ERRORS = {
  bad_request: "The request was not understood.",
  too_long: "That text is too long.",
  bad_role: "Unknown role.",
  unknown_event: "No event has this code. Check the code and try again.",
  name_required: "Enter a name to join.",
  event_full: "This event is full: no more attendees can join.",
  event_ended: "This event has ended.",
  bad_key: "The presenter key is wrong for this event.",
  bad_token: "Your earlier session was not found here; join again with your name.",
  unauthorized: "Not connected yet.",
  forbidden: "You are not allowed to do that.",
  not_found: "That does not exist (any more).",
  not_open: "This is not open for answers.",
  bad_choice: "That answer does not fit here.",
  rate_limited: "Too many clicks; wait a moment.",
  unavailable: "The server is busy or unreachable; retrying…",
  internal: "Something went wrong on the server.",
  timeout: "The server did not answer in time.",
  offline: "Not connected to the server.",
};

/** A readable sentence for an error ack, a connect_error or a REST error body. */
export function errorText(error) {
  if (!error) return "Unknown error.";
  const code = error.code || "";
  return error.message || READABLE_ERRORS[code] || `Error: ${code || "unknown"}`;
}

/** The `{code, message}` of a refused connection (Socket.IO connect_error). */
export function connectErrorInfo(err) {
  const data = err && err.data;
  if (data && typeof data === "object" && data.code) {
    return { ...data, message: data.message || err.message, refused: true };
  }
  return { code: "offline", message: "Cannot reach the server; retrying…", refused: false };
}
