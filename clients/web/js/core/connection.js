// The Socket.IO connection of a page: connecting with reconnection (and the attendee's
// resume token in `auth`), acks with a timeout, the connection pill, and fetching the whole
// state again when messages may have been missed. The wire protocol is docs/protocol.md.

import { connectErrorInfo } from "./errors.js";
import { onLocaleChange, t } from "./i18n.js";

/**
 * A Socket.IO connection to this page's own origin. `auth` is an object or a function
 * returning one; a function is called again on every reconnect (so a resume token got
 * in `welcome` is sent next time). Reconnection is socket.io's default (on).
 */
export function connectSocket(auth) {
  if (typeof window.io !== "function") {
    throw new Error("socket.io-client is not loaded (vendor/socket.io.min.js)");
  }
  const authOption = typeof auth === "function" ? (cb) => cb(auth()) : auth;
  return window.io({
    auth: authOption,
    transports: ["websocket", "polling"],
    // Where a proxy blocks websockets, fall back to long-polling instead of retrying
    // the websocket for ever (socket.io-client >= 4.8).
    tryAllTransports: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
}

/**
 * Emit `event` with an ack and resolve with the ack. Never rejects: a timeout or a
 * dropped connection resolves as an error ack with code "timeout" or "offline", so
 * callers handle every outcome in one place. Nothing is sent while disconnected (the
 * client would otherwise buffer it and send it later, behind the caller's back).
 */
export async function call(socket, event, payload = {}, timeoutMs = 8000) {
  if (!socket || !socket.connected) {
    return { ok: false, error: { code: "offline", message: "Not connected to the server." } };
  }
  try {
    const ack = await socket.timeout(timeoutMs).emitWithAck(event, payload);
    if (ack && typeof ack === "object") return ack;
    return { ok: false, error: { code: "internal", message: "The server sent an empty answer." } };
  } catch (err) {
    const timedOut = /timed out/i.test(String(err && err.message));
    return {
      ok: false,
      error: timedOut
        ? { code: "timeout", message: "The server did not answer in time." }
        : { code: "offline", message: "The connection dropped before the server answered." },
    };
  }
}

const PILL_LABELS = {
  idle: "connection.idle",
  connecting: "connection.connecting",
  connected: "connection.live",
  reconnecting: "connection.reconnecting",
  offline: "connection.offline",
  refused: "connection.refused",
};
let pill = { state: "idle", label: null };

/** The "connection" pill: state is connecting | connected | reconnecting | offline |
 *  refused; `label` is a catalogue key (or plain text) replacing the state's own label. */
export function showConnection(state, label) {
  const node = document.getElementById("connection");
  if (!node) return;
  pill = { state, label: label || null };
  node.dataset.state = state;
  node.textContent = t(label || PILL_LABELS[state] || state);
  node.title = node.textContent;
}

// A switch of language relabels the pill.
onLocaleChange(() => showConnection(pill.state, pill.label));

/** Refusals that only mean "not now": the page connects again by itself. */
const TRY_AGAIN = new Set(["rate_limited", "unavailable"]);

/**
 * Wire the standard connection-status handlers on a socket. A refusal with
 * `rate_limited` or `unavailable` is retried after `retry_after_ms` (or a few seconds),
 * with jitter; any other refusal goes to `onRefused(info)`. A refusal that carries a
 * resume token (a new attendee was created before the server had to refuse) goes to
 * `onToken(token)` first, so that the retry comes back as that attendee.
 */
export function trackConnection(socket, onRefused, onToken) {
  showConnection("connecting");
  let connects = 0;
  let retryTimer = null;
  let retries = 0;
  socket.on("connect", () => {
    connects += 1;
    retries = 0;
    showConnection("connected");
    // How many times this page connected (1 + reconnects): handy for support and tests.
    const node = document.getElementById("connection");
    if (node) node.dataset.connects = String(connects);
  });
  socket.on("disconnect", (reason) => {
    // "io client disconnect": we closed it ourselves.
    showConnection(reason === "io client disconnect" ? "offline" : "reconnecting");
  });
  socket.on("connect_error", (err) => {
    const info = connectErrorInfo(err);
    if (info.refused && info.token && onToken) onToken(info.token);
    if (info.refused && TRY_AGAIN.has(info.code)) {
      // Refused for now (too many joins at once, or the store is down): try again later.
      retries += 1;
      const base = info.retry_after_ms || Math.min(30000, 2000 * 2 ** Math.min(retries - 1, 4));
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        if (!socket.connected && !socket.active) socket.connect();
      }, base + Math.random() * 2000);
      showConnection("reconnecting", info.code === "rate_limited" ? "connection.busy" : "connection.server_busy");
      return;
    }
    if (info.refused || !socket.active) {
      showConnection("refused");
      if (onRefused) onRefused(info);
    } else {
      showConnection("reconnecting");
    }
  });
  socket.io.on("reconnect_attempt", () => showConnection("reconnecting"));
}

/** Calls `refresh` at most once per `ms`, after a random delay of up to `jitterMs` (so
 *  that thousands of pages that missed the same message do not ask all at once). */
export function throttle(refresh, ms = 2000, jitterMs = 0) {
  let last = 0;
  let timer = null;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now()) + Math.random() * jitterMs;
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      refresh();
    }, wait);
  };
}

/**
 * A function that fetches the whole state with `state:get` and hands it to `apply`: at
 * most once per `minGapMs`, after up to `jitterMs` of random delay (so that thousands of
 * pages that missed the same message do not ask at the same moment), retried with
 * backoff while the server answers `unavailable` or does not answer. `stamp` (optional):
 * called as each request goes out, its value handed to `apply` as a second argument.
 */
export function stateRefresher(getSocket, apply, { minGapMs = 2000, jitterMs = 0, stamp = null } = {}) {
  let failures = 0;
  const refresh = throttle(async () => {
    const socket = getSocket();
    if (!socket || !socket.connected) return; // the next welcome brings the state
    const sentAt = stamp ? stamp() : undefined;
    const ack = await call(socket, "state:get", {});
    if (ack.ok && ack.state) {
      failures = 0;
      apply(ack.state, sentAt);
      return;
    }
    const code = ack.error && ack.error.code;
    if (["unavailable", "timeout", "rate_limited", "internal"].includes(code) && failures < 8) {
      failures += 1;
      const wait = (ack.error.retry_after_ms || 1000 * 2 ** Math.min(failures, 5)) + Math.random() * jitterMs;
      setTimeout(refresh, wait);
    }
  }, minGapMs, jitterMs);
  return refresh;
}

/**
 * After the tab was hidden for a while (phones freeze background tabs), ask for the whole
 * state with `state:get` and hand it to `apply`, in case broadcasts were missed.
 * `stamp` (optional): called as the request goes out, its value handed to `apply` with
 * the state (a page that moves between rooms tells a state asked for before a move).
 */
export function refreshWhenVisible(getSocket, apply, minHiddenMs = 30000, stamp = null) {
  let hiddenSince = document.hidden ? Date.now() : null;
  document.addEventListener("visibilitychange", async () => {
    if (document.hidden) {
      hiddenSince = Date.now();
      return;
    }
    const away = hiddenSince === null ? 0 : Date.now() - hiddenSince;
    hiddenSince = null;
    const socket = getSocket();
    if (away < minHiddenMs || !socket || !socket.connected) return;
    const sentAt = stamp ? stamp() : undefined;
    const ack = await call(socket, "state:get", {});
    if (ack.ok && ack.state) apply(ack.state, sentAt);
  });
}
