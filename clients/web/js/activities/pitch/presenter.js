// Pitch sessions in the presenter console: the "Pitch sessions" list, the "New pitch
// session" form (./form.js), and on the stage the session's own controls: open, the
// next pitch or any pitch on now, the pitch timer (start with a length, stop), the
// jurors (chosen from the attendee list), each pitch's live average rating and count,
// jury averages, feedback count and its feedback export (what to send the pitcher),
// and close. The console is in English.

import { focusIfLost } from "../../core/a11y.js";
import { ActivityList } from "../../core/activity-list.js";
import { ServerClock, clockText } from "../../core/clock.js";
import { $, el, setText } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";
import { registerKind } from "../../core/kinds.js";
import { mergeKeeping, missedChange, statusText } from "../../core/sync.js";
import { buildForm } from "./form.js";
import { PITCH, averageText, pitchOf, placeOfNow, timerEndsAt } from "./model.js";

let ctx = null; // the page shell's context (js/presenter.js)
const sessions = new ActivityList(); // id -> the presenter's view of a session, oldest first
const clock = new ServerClock();
let ticker = null;
let attendees = null; // the event's attendees (pitch:attendees), to name jurors from
let chosen = null; // {session_id, ids}: the jurors being chosen

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  const list = el("ol", { id: "pitch-sessions", class: "poll-list" });
  list.addEventListener("click", onListClick);
  ctx.main.append(
    el(
      "section",
      { class: "card" },
      el("h2", {}, "Pitch sessions"),
      el("p", { id: "pitch-sessions-empty", class: "muted" }, "No pitch sessions yet."),
      list,
    ),
  );
  const card = el("section", { class: "card" });
  ctx.side.append(card);
  buildForm(card, async (payload) => {
    const ack = await ctx.call("pitch:create", payload);
    if (ack.ok) {
      upsert(ack.session, false);
      ctx.select(PITCH.type, ack.session.id);
      ctx.render();
    }
    return ack;
  });
}

function applyState(msg) {
  clock.learn(msg.server_time);
  if (Array.isArray(msg.pitch_sessions)) sessions.replace(msg.pitch_sessions, mergeWithRatings);
  const activity = msg.activity;
  if (activity && activity.type === PITCH.type && sessions.put(activity.session, mergeWithRatings)) {
    ctx.setCurrent(PITCH.type, activity.session.id);
  }
}

/** A copy of a session: broadcasts carry no ratings, so the known ones stay. */
const mergeWithRatings = (known, incoming) => mergeKeeping(known, incoming, ["ratings", "jury", "feedback_count", "ratings_seq"]);

function upsert(incoming, redraw = true) {
  if (sessions.put(incoming, mergeWithRatings) && redraw) ctx.render();
}

const items = () => sessions.items();
const item = (id) => sessions.get(id) || null;

// -- the stage ---------------------------------------------------------------------------
function drawStage(session) {
  if (!session) return stopTicker();
  // The stage is drawn anew: a focused control (by id) gets the focus back, with what
  // was being typed into the timer kept (a broadcast may land mid-typing).
  const active = document.activeElement;
  const inStage = Boolean(active && ctx.chart.contains(active));
  const focused = inStage ? active.id : "";
  const typed = focused === "pitch-timer-input" ? active.value : null;
  setText(ctx.total, String(session.pitches.length));
  setText(ctx.totalLabel, session.pitches.length === 1 ? "pitch" : "pitches");
  const open = session.status === "open";
  const off = ctx.ended;
  const place = placeOfNow(session);
  const next = session.pitches[place] || null; // the one after the pitch on now
  const button = (id, label, disabled, onclick) =>
    el("button", { id, type: "button", class: "button", disabled: disabled || off, onclick }, label);
  const controls = el(
    "div",
    { id: "pitch-controls", class: "quiz-controls", role: "group", "aria-label": "Run the pitch session" },
    button("pitch-open", session.status === "closed" ? "Reopen session" : "Open session", open, () => act("open", session.id)),
    button("pitch-next", next ? `Next pitch: ${next.title}` : "No next pitch", !open || !next, () => putOn(session.id, next.id)),
    button("pitch-close", "Close session", !open, () => act("close", session.id)),
  );
  const timer = el(
    "div",
    { class: "pitch-timer-controls", role: "group", "aria-label": "Pitch timer" },
    el("label", { for: "pitch-timer-input" }, "Timer in seconds"),
    el("input", { id: "pitch-timer-input", type: "number", min: 1, max: 3600, step: 1, inputmode: "numeric", value: session.now_timer_s || session.timer_s || "" }),
    button("pitch-timer-start", "Start timer", !open || !session.now, () => setTimer(session.id, Number($("pitch-timer-input").value))),
    button("pitch-timer-stop", "Stop timer", !open || timerEndsAt(session) === null, () => setTimer(session.id, null)),
    el("span", { id: "pitch-stage-countdown", class: "quiz-stage-countdown", role: "timer" }),
  );
  const rows = session.pitches.map((p, i) => pitchRow(session, p, i));
  const parts = [
    controls,
    el("p", { id: "pitch-stage-now", class: "pitch-stage-now", tabindex: "-1" }, nowText(session)),
    timer,
    el("ol", { id: "pitch-stage-pitches", class: "pitch-stage-pitches" }, rows),
    juryBox(session),
  ];
  ctx.chart.replaceChildren(el("div", { class: "pitch-stage", dataset: { sessionId: session.id } }, parts));
  const again = focused ? $(focused) : null;
  if (again && typed !== null) again.value = typed;
  if (again && !again.disabled) again.focus();
  // Else (disabled, like "Next pitch" once the last is on, or gone): what is on now has
  // it, so the next Tab goes on to the timer, not from the top of the page.
  else if (inStage) focusIfLost($("pitch-stage-now"));
  if (open && timerEndsAt(session) !== null) startTicker();
  else stopTicker();
  drawCountdown();
}

function nowText(session) {
  const pitch = pitchOf(session, session.now);
  if (!pitch) return session.status === "open" ? "No pitch on yet: put the first one on." : "";
  return `On now: ${pitch.title} (${pitch.organisation}, ${pitch.speaker})`;
}

function pitchRow(session, pitch, index) {
  const ratings = (session.ratings || {})[pitch.id] || { count: 0, average: null };
  const jury = (session.jury || {})[pitch.id];
  const feedback = (session.feedback_count || {})[pitch.id] || 0;
  const onNow = session.now === pitch.id;
  const titleId = `pitch-stage-title-${pitch.id}`;
  const juryText =
    jury && jury.jurors
      ? ` · jury (${jury.jurors}): ` + session.criteria.map((c) => `${c.name} ${averageText(jury.averages[c.id])}`).join(", ")
      : "";
  return el(
    "li",
    { class: "pitch-stage-row" + (onNow ? " on-now" : ""), dataset: { pitchId: pitch.id } },
    el(
      "p",
      {},
      el("strong", { id: titleId, dir: "auto" }, `${index + 1}. ${pitch.title}`),
      ` – ${pitch.organisation}, ${pitch.speaker}`,
      onNow ? el("span", { class: "on-stage-badge" }, "On now") : null,
    ),
    el(
      "p",
      { class: "small" },
      "Average ",
      el("span", { class: "pitch-average", dataset: { average: pitch.id } }, averageText(ratings.average)),
      " · ",
      el("span", { class: "pitch-count", dataset: { count: pitch.id } }, String(ratings.count)),
      ratings.count === 1 ? " rating" : " ratings",
      ` · ${feedback} feedback${juryText}`,
    ),
    el(
      "p",
      { class: "pitch-row-actions" },
      el(
        "button",
        { type: "button", class: "button small-button", disabled: onNow || session.status !== "open" || ctx.ended, "aria-describedby": titleId, onclick: () => putOn(session.id, pitch.id) },
        "Put on now",
      ),
      el(
        "button",
        { type: "button", class: "button small-button", dataset: { exportPitch: pitch.id }, "aria-describedby": titleId, onclick: () => exportFeedback(session, pitch) },
        "Download feedback",
      ),
    ),
  );
}

function juryBox(session) {
  const names = new Map((attendees || []).map((a) => [a.id, a.name]));
  const jurors = session.jurors || [];
  const picking = chosen && chosen.session_id === session.id;
  const parts = [
    el("h3", {}, "Jury"),
    el(
      "p",
      { id: "pitch-jurors-now", class: "small" },
      session.criteria.length ? `Criteria: ${session.criteria.map((c) => c.name).join(", ")}. ` : "No jury criteria in this session. ",
      jurors.length ? `Jurors: ${jurors.map((id) => names.get(id) || id).join(", ")}` : "No jurors yet.",
    ),
    el("button", { id: "pitch-jurors-load", type: "button", class: "button small-button", disabled: ctx.ended, onclick: () => loadAttendees(session) }, picking ? "Reload the attendees" : "Choose jurors"),
  ];
  if (picking) {
    parts.push(
      el(
        "fieldset",
        { class: "plain-fieldset" },
        el("legend", { class: "small" }, "Jurors"),
        el(
          "ul",
          { id: "pitch-jurors-list", class: "cafe-hosts-list" },
          attendees.length
            ? attendees.map((a) =>
                el(
                  "li",
                  {},
                  el(
                    "label",
                    { class: "check-line", for: `pitch-juror-${a.id}` },
                    el("input", { id: `pitch-juror-${a.id}`, type: "checkbox", checked: chosen.ids.includes(a.id), dataset: { jurorId: a.id }, onchange: onJurorToggle }),
                    ` ${a.name}${a.organisation ? ` (${a.organisation})` : ""}`,
                  ),
                ),
              )
            : el("li", { class: "small muted" }, "No attendees have joined yet."),
        ),
      ),
      el("button", { id: "pitch-jurors-save", type: "button", class: "button primary", disabled: ctx.ended, onclick: () => saveJurors(session.id) }, "Save jurors"),
    );
  }
  return el("section", { class: "pitch-jury-setup" }, parts);
}

function drawCountdown() {
  const node = $("pitch-stage-countdown");
  const session = sessions.get(ctx && ctx.chart.querySelector("[data-session-id]")?.dataset.sessionId);
  if (!node || !session) return;
  const endsAt = session.status === "open" ? timerEndsAt(session) : null;
  const text = endsAt === null ? "No timer running" : clock.left(endsAt) > 0 ? `${clockText(clock.left(endsAt))} left` : "Time is up";
  if (node.textContent !== text) setText(node, text);
}

function startTicker() {
  if (ticker === null) ticker = setInterval(drawCountdown, 500);
}

function stopTicker() {
  if (ticker !== null) clearInterval(ticker);
  ticker = null;
}

// -- actions -------------------------------------------------------------------------------
async function act(name, sessionId) {
  const ack = await ctx.call(`pitch:${name}`, { session_id: sessionId });
  if (!ack.ok) ctx.toast(`Could not ${name} the session: ${staffErrorText(ack.error)}`);
  else {
    upsert(ack.session, false);
    if (name === "open") {
      ctx.setCurrent(PITCH.type, sessionId);
      ctx.select(PITCH.type, sessionId);
    }
  }
  ctx.render();
}

async function putOn(sessionId, pitchId) {
  const ack = await ctx.call("pitch:now", { session_id: sessionId, pitch_id: pitchId });
  if (!ack.ok) ctx.toast(`Could not put the pitch on: ${staffErrorText(ack.error)}`);
  else upsert(ack.session, false);
  ctx.render();
}

async function setTimer(sessionId, seconds) {
  if (seconds !== null && !(Number.isInteger(seconds) && seconds >= 1 && seconds <= 3600)) {
    return ctx.toast("The timer takes 1 to 3600 whole seconds.");
  }
  const ack = await ctx.call("pitch:timer", { session_id: sessionId, timer_s: seconds });
  if (!ack.ok) ctx.toast(`Could not set the timer: ${staffErrorText(ack.error)}`);
  else upsert(ack.session, false);
  ctx.render();
}

async function loadAttendees(session) {
  const ack = await ctx.call("pitch:attendees", {});
  if (!ack.ok) return ctx.toast(`Could not load the attendees: ${staffErrorText(ack.error)}`);
  attendees = (ack.attendees || []).slice().sort((a, b) => (a.name || "").localeCompare(b.name || ""));
  chosen = { session_id: session.id, ids: [...(session.jurors || [])] };
  ctx.renderStage();
  const first = document.querySelector("#pitch-jurors-list input");
  if (first) first.focus();
}

function onJurorToggle(evt) {
  const id = evt.target.dataset.jurorId;
  chosen.ids = evt.target.checked ? [...chosen.ids.filter((j) => j !== id), id] : chosen.ids.filter((j) => j !== id);
}

async function saveJurors(sessionId) {
  const ack = await ctx.call("pitch:jurors", { session_id: sessionId, jurors: chosen.ids });
  if (!ack.ok) return ctx.toast(`Could not name the jurors: ${staffErrorText(ack.error)}`);
  chosen = null;
  upsert(ack.session, false);
  ctx.toast("Jurors saved.");
  ctx.render();
  $("pitch-jurors-load").focus();
}

/** One pitch's feedback (ratings, texts, the jury's scores) as a JSON file to send its
 *  pitcher. */
async function exportFeedback(session, pitch) {
  const ack = await ctx.call("pitch:export", { session_id: session.id, pitch_id: pitch.id });
  if (!ack.ok) return ctx.toast(`Could not export the feedback: ${staffErrorText(ack.error)}`);
  const blob = new Blob([JSON.stringify(ack.feedback, null, 2)], { type: "application/json" });
  const href = URL.createObjectURL(blob);
  const slug = pitch.title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || pitch.id;
  const a = el("a", { href, download: `pitch-feedback-${slug}.json`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}

// -- messages ------------------------------------------------------------------------------
function onSession(msg) {
  if (!msg || !msg.session) return;
  clock.learn(msg.ts);
  if (missedChange(sessions.get(msg.session.id), msg.session)) ctx.refresh();
  upsert(msg.session);
}

function onRatings(msg) {
  const session = sessions.get(msg.session_id);
  if (!session) return ctx.refresh(); // a session we never heard of
  if (!msg.final && (msg.seq || 0) < (session.ratings_seq || 0)) return; // an older copy
  session.ratings = msg.ratings;
  session.ratings_seq = msg.seq;
  for (const [pid, r] of Object.entries(msg.ratings)) {
    const average = ctx.chart.querySelector(`[data-average="${CSS.escape(pid)}"]`);
    const count = ctx.chart.querySelector(`[data-count="${CSS.escape(pid)}"]`);
    if (average && ctx.isSelected(PITCH.type, session.id)) setText(average, averageText(r.average));
    if (count && ctx.isSelected(PITCH.type, session.id)) setText(count, String(r.count));
  }
}

// -- the list ------------------------------------------------------------------------------
function render() {
  $("pitch-create-button").disabled = ctx.ended;
  $("pitch-sessions-empty").hidden = sessions.size > 0;
  $("pitch-sessions").replaceChildren(
    ...sessions.items().map((session) => {
      const id = session.id;
      const selected = ctx.isSelected(PITCH.type, id);
      const now = pitchOf(session, session.now);
      return el(
        "li",
        {
          class: "poll-row" + (selected ? " selected" : "") + (ctx.isCurrent(PITCH.type, id) ? " on-stage" : ""),
          dataset: { pitchSessionId: id, status: session.status },
        },
        el(
          "button",
          { type: "button", class: "poll-select", dataset: { action: "select" }, "aria-current": selected ? "true" : null },
          el("span", { class: `status status-${session.status}`, text: statusText(session) }),
          el("span", { class: "poll-question", dir: "auto", text: session.title }),
          el("span", { class: "poll-meta" }, `${session.pitches.length} pitches${now ? ` · on now: ${now.title}` : ""}`),
        ),
      );
    }),
  );
}

function onListClick(evt) {
  const button = evt.target.closest("button[data-action]");
  const row = evt.target.closest("[data-pitch-session-id]");
  if (!button || !row) return;
  ctx.select(PITCH.type, row.dataset.pitchSessionId);
  ctx.render();
}

registerKind({
  ...PITCH,
  presenter: {
    mount,
    applyState,
    render,
    items,
    item,
    describe: (session) => `Pitch session · ${session.pitches.length} pitches`,
    title: (session) => session.title,
    drawStage,
    ownStage: true,
    act,
    messages: {
      "pitch:created": (msg) => upsert(msg.session),
      "pitch:opened": (msg) => {
        onSession(msg);
        ctx.setCurrent(PITCH.type, msg.session.id);
        ctx.select(PITCH.type, msg.session.id);
        ctx.render();
      },
      "pitch:now": onSession,
      "pitch:timer": onSession,
      "pitch:updated": onSession,
      "pitch:closed": onSession,
      "pitch:ratings": onRatings,
    },
  },
});
