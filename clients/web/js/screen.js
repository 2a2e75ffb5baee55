// The big screen's shell: join instructions, the connection, `welcome` and `state:get`,
// presence, the end of the event. What is on stage is drawn by the kind whose `type` it
// is (js/activities/<kind>/screen.js). Read-only (role "screen"). `?event=CODE`; add
// `&hide=1` to show results only once the presenter reveals them. In the browser's
// language (js/core/i18n.js), or the one given with `&lang=fr`.

import {
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

const params = readParams();
const session = {
  code: normaliseCode(params.event || ""),
  socket: null,
  onStage: null, // the type of the activity on stage, or null (the join instructions)
  error: null, // () => the error's text, or null
  title: "",
};

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
    session.onStage = type;
    $("screen-idle").hidden = true;
    for (const kind of kindsFor("screen")) {
      if (kind.type !== type && typeof kind.screen.clear === "function") kind.screen.clear();
    }
  },
  leaveStage(type) {
    if (session.onStage !== null && session.onStage !== type) return;
    session.onStage = null;
    $("screen-idle").hidden = false;
    setText(ctx.totalLabel, t("results.answers_word", { count: 0 }));
  },
};

function init() {
  eachKind("mount", ctx);
  setText(ctx.totalLabel, t("results.answers_word", { count: 0 }));
  onLocaleChange(() => {
    setText(ctx.totalLabel, t("results.answers_word", { count: 0 }));
    showTitle();
    showError(session.error);
    eachKind("localeChanged");
  });
  if (!session.code) {
    showError(() => t("screen.no_code"));
    return;
  }
  const joinUrl = `${window.location.origin}/?event=${encodeURIComponent(session.code)}`;
  const shortUrl = joinUrl.replace(/^https?:\/\//, "");
  setText("join-url", shortUrl);
  setText("idle-url", `${window.location.host}`);
  setText("join-code", session.code);
  setText("idle-code", session.code);
  $("join-url").title = joinUrl;

  const socket = connectSocket({ event: session.code, role: "screen" });
  session.socket = socket;
  trackConnection(socket, (info) => (info.code === "event_ended" ? showEnded() : showError(() => errorText(info))));
  socket.on("welcome", applyState);
  refreshWhenVisible(() => socket, applyState);
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

const refreshState = stateRefresher(() => session.socket, (snapshot) => applyState(snapshot));

/** `welcome` (and `state:get`): the whole state. */
function applyState(msg) {
  showError(null);
  session.title = (msg.event && msg.event.title) || "";
  showTitle();
  if (msg.presence) setText("online", msg.presence.online ?? 0);
  eachKind("applyState", msg);
}

function showTitle() {
  setText("event-title", session.title);
  document.title = session.title ? `${session.title} · Plenary` : t("screen.page_title");
}

function showEnded() {
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
