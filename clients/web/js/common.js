// Shared code of the Plenary pages: URL parameters, the Socket.IO connection, acks with
// a timeout, and the results view. Plain ES module, no build step. The wire protocol is
// docs/protocol.md.
//
// Rule for every page: text that comes from people (names, questions, options, answers,
// titles) is only ever put in the page with textContent / createTextNode, never as HTML.

/** Query string and URL fragment parameters merged (the fragment wins). */
export function readParams(loc = window.location) {
  const out = {};
  const add = (text) => {
    const search = new URLSearchParams(text.replace(/^[?#]/, ""));
    for (const [k, v] of search) out[k] = v;
  };
  add(loc.search || "");
  add(loc.hash || "");
  return out;
}

/** Join codes are case-insensitive; the server keeps them upper case. */
export function normaliseCode(code) {
  return String(code || "").trim().toUpperCase();
}

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
  not_found: "That poll does not exist (any more).",
  not_open: "This poll is not open for answers.",
  bad_choice: "That answer does not fit this poll.",
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

/** A fresh id for an answer: a UUID, also in non-secure contexts (plain http on a LAN). */
export function newVoteId() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch {
      /* not a secure context: fall through */
    }
  }
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") {
    c.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A small DOM helper: el("p", {class: "x", dataset: {a: 1}}, "text", childNode). Strings
 *  become text nodes, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Set an element's text (by id or node), if it exists. */
export function setText(target, text) {
  const node = typeof target === "string" ? document.getElementById(target) : target;
  if (node) node.textContent = text === null || text === undefined ? "" : String(text);
  return node;
}

/** The "connection" pill: state is connecting | connected | reconnecting | offline | refused. */
export function showConnection(state, text) {
  const node = document.getElementById("connection");
  if (!node) return;
  const labels = {
    connecting: "Connecting…",
    connected: "Live",
    reconnecting: "Reconnecting…",
    offline: "Offline",
    refused: "Not connected",
  };
  node.dataset.state = state;
  node.textContent = text || labels[state] || state;
  node.title = node.textContent;
}

/** Refusals that only mean "not now": the page connects again by itself. */
const TRY_AGAIN = new Set(["rate_limited", "unavailable"]);

/**
 * Wire the standard connection-status handlers on a socket. A refusal with
 * `rate_limited` or `unavailable` is retried after `retry_after_ms` (or a few seconds),
 * with jitter; any other refusal goes to `onRefused(info)`.
 */
export function trackConnection(socket, onRefused) {
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
    if (info.refused && TRY_AGAIN.has(info.code)) {
      // Refused for now (too many joins at once, or the store is down): try again later.
      retries += 1;
      const base = info.retry_after_ms || Math.min(30000, 2000 * 2 ** Math.min(retries - 1, 4));
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        if (!socket.connected && !socket.active) socket.connect();
      }, base + Math.random() * 2000);
      showConnection("reconnecting", info.code === "rate_limited" ? "Busy, retrying…" : "Server busy, retrying…");
      return;
    }
    if (info.refused || !socket.active) {
      showConnection("refused", "Not connected");
      if (onRefused) onRefused(info);
    } else {
      showConnection("reconnecting");
    }
  });
  socket.io.on("reconnect_attempt", () => showConnection("reconnecting"));
}

/**
 * A function that fetches the whole state with `state:get` and hands it to `apply`: at
 * most once per `minGapMs`, after up to `jitterMs` of random delay (so that thousands of
 * pages that missed the same message do not ask at the same moment), retried with
 * backoff while the server answers `unavailable` or does not answer.
 */
export function stateRefresher(getSocket, apply, { minGapMs = 2000, jitterMs = 0 } = {}) {
  let failures = 0;
  const refresh = throttle(async () => {
    const socket = getSocket();
    if (!socket || !socket.connected) return; // the next welcome brings the state
    const ack = await call(socket, "state:get", {});
    if (ack.ok && ack.state) {
      failures = 0;
      apply(ack.state);
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
 */
export function refreshWhenVisible(getSocket, apply, minHiddenMs = 30000) {
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
    const ack = await call(socket, "state:get", {});
    if (ack.ok && ack.state) apply(ack.state);
  });
}

// -- polls ------------------------------------------------------------------------

export const KIND_LABELS = {
  single: "Single choice",
  multiple: "Multiple choice",
  rating: "Rating",
  wordcloud: "Word cloud",
  open_text: "Open text",
};

export const CHOICE_KINDS = new Set(["single", "multiple"]);
export const TEXT_KINDS = new Set(["wordcloud", "open_text"]);

/** When a poll last changed state, for polls without `state_seq` (older servers). */
function changedAt(poll) {
  return Math.max(poll.opened_at || 0, poll.closed_at || 0, poll.created_at || 0);
}

function hasStateSeq(poll) {
  return poll && typeof poll.state_seq === "number";
}

/** The newer of two copies of the same poll, by `state_seq` (it grows with every open,
 *  close and reveal); copies can arrive out of order, e.g. a `welcome` built just before
 *  a broadcast that arrived first. */
export function mergePoll(known, incoming) {
  if (!known || known.id !== incoming.id) return { ...incoming };
  let newer;
  if (hasStateSeq(known) && hasStateSeq(incoming)) {
    newer = incoming.state_seq >= known.state_seq ? incoming : known;
  } else {
    newer = changedAt(incoming) >= changedAt(known) ? incoming : known;
  }
  const merged = { ...known, ...newer };
  if (!hasStateSeq(incoming)) merged.revealed = Boolean(known.revealed || incoming.revealed);
  return merged;
}

/** True when `incoming` skips a state change of a poll we knew: a message was missed and
 *  the client should ask for the whole state (`state:get`). */
export function missedChange(known, incoming) {
  return Boolean(
    known && incoming && known.id === incoming.id && hasStateSeq(known) && hasStateSeq(incoming) &&
      incoming.state_seq > known.state_seq + 1,
  );
}

/** Of two results of one poll, the one to show: the higher `seq`; of equal `seq`, a
 *  `final` one. Either may be null. */
export function newerResults(a, b) {
  if (!a) return b || null;
  if (!b) return a;
  if (b.seq !== a.seq) return b.seq > a.seq ? b : a;
  return b.final && !a.final ? b : a;
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

/** A stored answer as people read it: option labels, "4 / 5", or the text. */
export function describeAnswer(poll, answer) {
  if (answer === null || answer === undefined) return "";
  if (CHOICE_KINDS.has(poll.kind)) {
    const labels = new Map((poll.options || []).map((o) => [o.id, o.label]));
    const ids = Array.isArray(answer) ? answer : [answer];
    return ids.map((id) => labels.get(id) ?? String(id)).join(", ");
  }
  if (poll.kind === "rating") return `${answer} / ${poll.scale || 5}`;
  return String(answer);
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Draws the results of one poll into `container`: horizontal bars (choice and rating
 * polls) or a word list sized by count (word cloud, open text). Keeps the highest `seq`
 * shown and ignores older results. Options: `totalEl` (an element that gets the bare
 * total), `showCounts` (default true).
 */
export class ResultsView {
  constructor(container, options = {}) {
    this.container = container;
    this.totalEl = options.totalEl || null;
    this.poll = null;
    this.results = null;
    this.seq = -1;
  }

  /** Show `poll` (resets the seq when it is another poll). */
  setPoll(poll) {
    if (!poll) {
      this.poll = null;
      this.results = null;
      this.seq = -1;
      this.render();
      return;
    }
    if (!this.poll || this.poll.id !== poll.id) {
      this.results = null;
      this.seq = -1;
    }
    this.poll = poll;
    if (poll.results) this.update(poll.results, true);
    else this.render();
  }

  /** Apply results if they are for this poll and newer than those shown. Returns true
   *  when they were applied. */
  update(results, force = false) {
    if (!this.poll || !results || results.poll_id !== this.poll.id) return false;
    const seq = typeof results.seq === "number" ? results.seq : -1;
    if (this.results && !force && newerResults(this.results, results) === this.results) return false;
    if (seq < this.seq) return false;
    this.seq = seq;
    this.results = results;
    this.render();
    return true;
  }

  clear() {
    this.container.replaceChildren();
    if (this.totalEl) this.totalEl.textContent = "0";
  }

  render() {
    const poll = this.poll;
    const results = this.results;
    const total = results ? results.total || 0 : 0;
    if (this.totalEl) this.totalEl.textContent = String(total);
    if (!poll) {
      this.container.replaceChildren();
      return;
    }
    this.container.dataset.kind = poll.kind;
    this.container.dataset.resultsPoll = poll.id;
    this.container.dataset.seq = String(this.seq);
    if (TEXT_KINDS.has(poll.kind)) this.renderWords(poll, results);
    else this.renderBars(poll, results, total);
  }

  renderBars(poll, results, total) {
    const counts = (results && results.counts) || {};
    let rows;
    if (poll.kind === "rating") {
      const scale = poll.scale || 5;
      rows = Array.from({ length: scale }, (_, i) => ({ id: String(i + 1), label: String(i + 1) }));
    } else {
      rows = (poll.options || []).map((o) => ({ id: o.id, label: o.label }));
    }
    const maxCount = Math.max(0, ...rows.map((r) => counts[r.id] || 0));
    const list = el("ol", { class: `bars bars-${poll.kind}` });
    for (const row of rows) {
      const count = counts[row.id] || 0;
      const pct = total > 0 ? Math.round((count * 100) / total) : 0;
      const width = total > 0 ? Math.min(100, (count * 100) / total) : 0;
      const item = el(
        "li",
        { class: "bar" + (count > 0 && count === maxCount ? " bar-top" : ""), dataset: { option: row.id } },
        el(
          "div",
          { class: "bar-head" },
          el("span", { class: "bar-label", text: row.label }),
          el(
            "span",
            { class: "bar-figures" },
            el("span", { class: "count", text: String(count) }),
            el("span", { class: "pct", text: `${pct}%` }),
          ),
        ),
        el("div", { class: "bar-track" }, el("div", { class: "bar-fill", style: `width:${width.toFixed(2)}%;--pct:${width.toFixed(2)}%` })),
      );
      list.append(item);
    }
    const parts = [list];
    if (poll.kind === "rating") {
      const mean = results && results.mean !== null && results.mean !== undefined ? results.mean : null;
      parts.push(
        el(
          "p",
          { class: "rating-mean" },
          "Average ",
          el("strong", { class: "mean", text: mean === null ? "–" : Number(mean).toFixed(1) }),
          ` / ${poll.scale || 5}`,
        ),
      );
    }
    this.container.replaceChildren(...parts);
  }

  renderWords(poll, results) {
    const counts = (results && results.counts) || {};
    // Entries are counted by a normalised key; `labels` holds the form people typed.
    const labels = (results && results.labels) || {};
    const entries = Object.entries(counts).filter(([, n]) => typeof n === "number" && n > 0);
    if (!entries.length) {
      this.container.replaceChildren(el("p", { class: "empty", text: "No answers yet." }));
      return;
    }
    const max = Math.max(...entries.map(([, n]) => n));
    const min = Math.min(...entries.map(([, n]) => n));
    const isCloud = poll.kind === "wordcloud";
    const list = el("ul", { class: isCloud ? "words cloud" : "words texts" });
    entries.forEach(([key, n], index) => {
      const text = typeof labels[key] === "string" ? labels[key] : key;
      // Size by count: 1em for the rarest up to 3em (cloud) / 1.4em (open text).
      const span = max > min ? (n - min) / (max - min) : 1;
      const size = isCloud ? 1 + 2 * Math.sqrt(span) : 1 + 0.4 * span;
      const item = el(
        "li",
        {
          class: `word hue-${index % 6}`,
          dataset: { count: String(n) },
          style: `font-size:${size.toFixed(2)}em`,
          title: plural(n, "answer", "answers"),
        },
        el("span", { class: "word-text", text }),
        el("span", { class: "word-count", text: String(n) }),
      );
      list.append(item);
    });
    const parts = [list];
    if (typeof results.distinct === "number" && results.distinct > entries.length) {
      parts.push(el("p", { class: "muted", text: `Top ${entries.length} of ${results.distinct} different answers` }));
    }
    this.container.replaceChildren(...parts);
  }
}
