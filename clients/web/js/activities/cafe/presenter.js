// World cafés in the presenter console: the "New world café" form (tables or a size,
// rounds, their length, topics, hosts chosen from the attendee list, the video room link
// template, what to keep apart), the list of cafés with Start / Next round / End, and on
// the stage the overview of the café on stage: the round and its time left, the
// seating's figures, a grid of the tables (size, topic, who sits there, their live
// harvests) and what the big screen shows, with a button per harvest to put it there.
// The console is in English; what people typed is shown as typed (dir="auto").

import { ActivityList } from "../../core/activity-list.js";
import { ServerClock, clockText } from "../../core/clock.js";
import { $, el, setText } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";
import { registerKind } from "../../core/kinds.js";
import { CAFE, harvestKey, mergeCafe } from "./model.js";

const REFRESH_MS = 8000; // the joined count (no message tells it) while a café is on stage

let ctx = null; // the page shell's context (js/presenter.js)
const clock = new ServerClock();
const cafes = new ActivityList(); // id -> café, oldest first
/** The café on stage as the server showed it: tables, figures, people, harvests. */
let live = null;
let attendees = null; // the event's attendees (cafe:attendees), to choose hosts from
let hosts = []; // the chosen hosts' ids: hosts[k] hosts table k + 1
let ticker = null;
let refresher = null;
let redraw = null;

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  const list = el("ol", { id: "cafes", class: "poll-list" });
  list.addEventListener("click", onListClick);
  ctx.main.append(
    el(
      "section",
      { id: "cafes-card", class: "card" },
      el("h2", {}, "World cafés"),
      el("p", { id: "cafes-empty", class: "muted" }, "No world cafés yet."),
      list,
    ),
  );
  ctx.chart.addEventListener("click", onStageClick);
  ctx.side.append(el("section", { class: "card cafe-form-card" }, el("h2", {}, "New world café"), buildForm()));
  syncSizeLabel();
}

function field(id, label, input, hint = null) {
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return [el("label", { for: id }, ...[label].flat()), hint ? el("p", { id: hintId, class: "small muted cafe-hint" }, hint) : null, input];
}

function radio(id, value, label, checked) {
  const input = el("input", { id, type: "radio", name: "cafe-size-by", value, checked });
  input.addEventListener("change", syncSizeLabel);
  return el("label", { class: "check", for: id }, input, ` ${label}`);
}

function checkbox(id, label, checked = true) {
  return el("label", { class: "check", for: id }, el("input", { id, type: "checkbox", checked }), ` ${label}`);
}

function buildForm() {
  const optional = el("span", { class: "optional" }, "(optional)");
  const form = el(
    "form",
    { id: "cafe-form", class: "cafe-form", novalidate: true },
    ...field("cafe-title-input", ["Title ", optional], el("input", { id: "cafe-title-input", maxlength: 120, dir: "auto", placeholder: "World café", autocomplete: "off" })),
    el(
      "fieldset",
      { class: "plain-fieldset cafe-fieldset" },
      el("legend", {}, "Tables"),
      radio("cafe-by-tables", "tables", "A number of tables", true),
      radio("cafe-by-size", "size", "A number of people per table", false),
      el("label", { id: "cafe-size-label", for: "cafe-size-input" }, "Number of tables"),
      el("input", { id: "cafe-size-input", type: "number", min: 1, max: 10000, step: 1, value: 10, inputmode: "numeric" }),
    ),
    el(
      "div",
      { class: "cafe-form-row" },
      el("div", {}, ...field("cafe-rounds-input", "Rounds", el("input", { id: "cafe-rounds-input", type: "number", min: 1, max: 20, step: 1, value: 3, inputmode: "numeric" }))),
      el("div", {}, ...field("cafe-minutes-input", "Minutes a round", el("input", { id: "cafe-minutes-input", type: "number", min: 0.5, max: 240, step: 0.5, value: 20, inputmode: "decimal" }))),
    ),
    ...field(
      "cafe-topics-input",
      "Topics",
      el("textarea", { id: "cafe-topics-input", rows: 3, dir: "auto", placeholder: "Green transition\nSkills\nHousing" }),
      "One per line: table 1 gets the first, table 2 the second, and round again.",
    ),
    ...field(
      "cafe-room-input",
      ["Video room link ", el("span", { class: "optional" }, "(optional)")],
      el("input", { id: "cafe-room-input", type: "url", maxlength: 300, spellcheck: "false", autocomplete: "off", placeholder: "https://video.example/{event}-{table}" }),
      "{event} becomes the join code and {table} the table's number.",
    ),
    el(
      "fieldset",
      { class: "plain-fieldset cafe-fieldset" },
      el("legend", {}, "Keep apart, besides people who already met"),
      checkbox("cafe-spread-organisation", "Colleagues (one organisation)"),
      checkbox("cafe-spread-country", "Compatriots (one country)"),
    ),
    el(
      "fieldset",
      { class: "plain-fieldset cafe-fieldset" },
      el("legend", {}, "Hosts ", el("span", { class: "optional" }, "(optional)")),
      el("p", { class: "small muted" }, "A host stays at their table every round. The first one you tick hosts table 1, the next table 2, and so on."),
      el("button", { id: "cafe-hosts-load", type: "button", class: "button small-button" }, "Choose from the attendees"),
      el(
        "div",
        { id: "cafe-hosts-picker", hidden: true },
        el("label", { for: "cafe-hosts-filter" }, "Find an attendee"),
        el("input", { id: "cafe-hosts-filter", autocomplete: "off", dir: "auto" }),
        el("ul", { id: "cafe-hosts-list", class: "cafe-hosts-list", "aria-label": "Attendees" }),
      ),
      el("p", { id: "cafe-hosts-chosen", class: "small", role: "status" }),
    ),
    el("button", { id: "cafe-create-button", type: "submit", class: "button primary" }, "Create world café"),
    el("p", { id: "cafe-create-error", class: "error", role: "alert", hidden: true }),
  );
  form.addEventListener("submit", onCreate);
  form.querySelector("#cafe-hosts-load").addEventListener("click", loadAttendees);
  form.querySelector("#cafe-hosts-filter").addEventListener("input", renderHosts);
  form.querySelector("#cafe-hosts-list").addEventListener("change", onHostToggle);
  return form;
}

function syncSizeLabel() {
  const bySize = $("cafe-by-size") && $("cafe-by-size").checked;
  setText("cafe-size-label", bySize ? "People per table" : "Number of tables");
  const input = $("cafe-size-input");
  if (input) input.max = bySize ? 100 : 10000;
}

/** `welcome` (and `state:get`): every café of the event, and the one on stage. */
function applyState(msg) {
  clock.learn(msg.server_time);
  if (Array.isArray(msg.cafes)) cafes.replace(msg.cafes, mergeCafe);
  const activity = msg.activity;
  if (activity && activity.type === CAFE.type && upsert(activity.cafe)) {
    ctx.setCurrent(CAFE.type, activity.cafe.id);
    live = {
      cafe_id: activity.cafe.id,
      round: activity.cafe.round || 0,
      tables: activity.tables || [],
      stats: activity.stats || {},
      people: { ...(activity.people || {}) },
      spotlight: activity.spotlight || [],
      joined: activity.joined || 0,
      harvests: new Map((activity.harvests || []).map((h) => [harvestKey(h.author, h.harvest_id), h])),
      warning: null,
    };
  } else {
    live = null;
  }
  keepRefreshing();
}

function items() {
  return cafes.items();
}

function item(id) {
  return cafes.get(id) || null;
}

function upsert(incoming) {
  return cafes.put(incoming, mergeCafe);
}

/** A round's start or end changes the café without a new copy of it. */
function patch(cafeId, fields) {
  const cafe = cafes.get(cafeId);
  if (cafe) cafes.set(cafeId, { ...cafe, ...fields });
}

function liveFor(cafeId) {
  return live && live.cafe_id === cafeId ? live : null;
}

// -- the list -----------------------------------------------------------------------------
function roundLine(cafe) {
  const size = cafe.tables ? `${cafe.tables} tables` : `tables of ${cafe.table_size}`;
  const round = cafe.round ? `round ${cafe.round} of ${cafe.rounds}` : `${cafe.rounds} rounds, not started`;
  return `World café · ${round} · ${size}`;
}

function render() {
  $("cafe-create-button").disabled = ctx.ended;
  $("cafes-empty").hidden = cafes.size > 0;
  const rows = cafes.items().map((cafe) => {
    const id = cafe.id;
    const titleId = `cafe-row-title-${id}`;
    const selected = ctx.isSelected(CAFE.type, id);
    const open = cafe.status === "open";
    return el(
      "li",
      {
        class: "poll-row cafe-row" + (selected ? " selected" : "") + (ctx.isCurrent(CAFE.type, id) ? " on-stage" : ""),
        dataset: { cafeId: id, status: cafe.status, round: String(cafe.round || 0) },
      },
      el(
        "button",
        { type: "button", class: "poll-select", dataset: { action: "select" }, title: "Show on the stage", "aria-current": selected ? "true" : null },
        el("span", { class: `status status-${cafe.status}`, text: statusWord(cafe) }),
        el("span", { id: titleId, class: "poll-question", dir: "auto", text: cafe.title }),
        el("span", { class: "poll-meta" }, roundLine(cafe)),
      ),
      el(
        "span",
        { class: "poll-actions" },
        actionButton("open", cafe.status === "closed" ? "Restart" : "Start", open, titleId),
        actionButton("round", nextRoundLabel(cafe), !open || cafe.round >= cafe.rounds, titleId),
        actionButton("close", "End", !open, titleId),
      ),
    );
  });
  // A button that had the focus keeps it when the list is drawn again (the state is
  // refreshed every few seconds while a café is on stage).
  const active = document.activeElement;
  const row = active && active.closest ? active.closest("#cafes [data-cafe-id]") : null;
  const again = row && active.dataset.action ? [row.dataset.cafeId, active.dataset.action] : null;
  $("cafes").replaceChildren(...rows);
  if (again) {
    const button = document.querySelector(`#cafes [data-cafe-id="${CSS.escape(again[0])}"] [data-action="${again[1]}"]`);
    if (button && !button.disabled) button.focus();
  }
}

function statusWord(cafe) {
  return cafe.status === "open" ? "Open" : cafe.status === "closed" ? "Ended" : "Draft";
}

function nextRoundLabel(cafe) {
  if (cafe.round >= cafe.rounds) return "All rounds held";
  return cafe.round ? `Start round ${cafe.round + 1}` : "Start round 1";
}

function actionButton(action, label, disabled, describedBy) {
  return el(
    "button",
    { type: "button", class: "button small-button", dataset: { action }, disabled: disabled || ctx.ended, "aria-describedby": describedBy },
    label,
  );
}

function onListClick(evt) {
  const button = evt.target.closest("button[data-action]");
  const row = evt.target.closest("[data-cafe-id]");
  if (!button || !row) return;
  const id = row.dataset.cafeId;
  if (button.dataset.action === "select") {
    ctx.select(CAFE.type, id);
    ctx.render();
    return;
  }
  act(button.dataset.action, id);
}

/** open (start) | round (the next one) | close (end), from the list or the stage. */
async function act(action, cafeId) {
  if (action === "reveal") return; // a café has no results to reveal
  if (action === "round") return nextRound(cafeId);
  const event = action === "open" ? "cafe:start" : "cafe:end";
  const ack = await ctx.call(event, { cafe_id: cafeId });
  if (!ack.ok) {
    ctx.toast(`Could not ${action === "open" ? "start" : "end"} the world café: ${staffErrorText(ack.error)}`);
    ctx.render();
    return;
  }
  upsert(ack.cafe);
  if (action === "open") {
    ctx.setCurrent(CAFE.type, cafeId);
    ctx.select(CAFE.type, cafeId);
    if (!liveFor(cafeId)) ctx.refresh(); // the tables, harvests and check-ins
  }
  ctx.render();
}

async function nextRound(cafeId) {
  const cafe = cafes.get(cafeId);
  if (!cafe) return;
  for (const b of document.querySelectorAll(`[data-cafe-id="${CSS.escape(cafeId)}"] [data-action="round"], #cafe-next-round`)) {
    b.disabled = true;
  }
  // The round's number: a retry after a lost ack acknowledges it instead of starting another.
  const ack = await ctx.call("cafe:round", { cafe_id: cafeId, round: (cafe.round || 0) + 1 });
  if (!ack.ok) {
    ctx.toast(`Could not start the round: ${staffErrorText(ack.error)}`);
    ctx.render();
    return;
  }
  applyRound(ack);
  ctx.select(CAFE.type, cafeId);
  ctx.render();
}

/** `cafe:round` (its ack, or the message to the staff): the round's tables. */
function applyRound(msg) {
  const current = cafes.get(msg.cafe_id);
  if (!current || (current.round || 0) <= msg.round) patch(msg.cafe_id, { round: msg.round, ends_at: msg.ends_at });
  const l = liveFor(msg.cafe_id);
  if (!l) return;
  if (l.round && l.round > msg.round) return; // an older round's message
  l.round = msg.round;
  l.tables = msg.tables || [];
  l.stats = msg.stats || {};
  Object.assign(l.people, msg.people || {});
  l.warning = null;
}

// -- server messages ----------------------------------------------------------------------
function onStarted(msg) {
  clock.learn(msg.ts);
  upsert(msg.cafe);
  ctx.setCurrent(CAFE.type, msg.cafe.id);
  ctx.select(CAFE.type, msg.cafe.id); // follow what is on stage
  if (!liveFor(msg.cafe.id)) ctx.refresh();
  ctx.render();
}

function onRound(msg) {
  clock.learn(msg.ts);
  if (!cafes.has(msg.cafe_id) || !liveFor(msg.cafe_id)) {
    ctx.refresh(); // a café we did not know was on stage
    return;
  }
  applyRound(msg);
  ctx.render();
}

function onTable(msg) {
  clock.learn(msg.ts);
  const l = liveFor(msg.cafe_id);
  if (!l || msg.round !== l.round) return; // another round's table: the round's message redraws
  const index = msg.table - 1;
  const table = { table: msg.table, topic: msg.topic, members: msg.members || [] };
  if (msg.host) table.host = msg.host;
  l.tables = [...l.tables];
  l.tables[index] = table;
  Object.assign(l.people, msg.people || {});
  stageChanged(msg.cafe_id);
}

function onWarning(msg) {
  clock.learn(msg.ts);
  const l = liveFor(msg.cafe_id);
  if (l) l.warning = msg;
  stageChanged(msg.cafe_id);
}

function onRoundEnded(msg) {
  clock.learn(msg.ts);
  stageChanged(msg.cafe_id);
}

function onEnded(msg) {
  clock.learn(msg.ts);
  upsert(msg.cafe);
  ctx.render();
}

function onHarvested(msg) {
  const l = liveFor(msg.cafe_id);
  if (!l || !msg.harvest) return;
  l.harvests.set(harvestKey(msg.harvest.author, msg.harvest.harvest_id), msg.harvest);
  stageChanged(msg.cafe_id);
}

function onHarvestRemoved(msg) {
  const l = liveFor(msg.cafe_id);
  if (!l) return;
  l.harvests.delete(harvestKey(msg.author_id, msg.harvest_id));
  stageChanged(msg.cafe_id);
}

function onSpotlight(msg) {
  const l = liveFor(msg.cafe_id);
  if (!l) return;
  l.spotlight = msg.harvests || [];
  stageChanged(msg.cafe_id);
}

/** Redraw the stage if it shows this café: at most every 150 ms (harvests may pour in). */
function stageChanged(cafeId) {
  if (!ctx.isSelected(CAFE.type, cafeId) || redraw !== null) return;
  redraw = setTimeout(() => {
    redraw = null;
    ctx.renderStage();
  }, 150);
}

/** The joined count is in the state only: ask for it now and then while a café is on
 *  stage and open. */
function keepRefreshing() {
  const cafe = live && cafes.get(live.cafe_id);
  const wanted = Boolean(cafe && cafe.status === "open" && !ctx.ended);
  if (wanted && refresher === null) {
    refresher = setInterval(() => {
      if (document.visibilityState === "visible") ctx.refresh();
    }, REFRESH_MS);
  } else if (!wanted && refresher !== null) {
    clearInterval(refresher);
    refresher = null;
  }
}

// -- the stage ----------------------------------------------------------------------------
function describe(cafe) {
  return cafe.round ? `World café · round ${cafe.round} of ${cafe.rounds}` : `World café · ${cafe.rounds} rounds`;
}

function clockLine(cafe) {
  if (cafe.status === "draft") return "Not started: press Open to put it on stage, then start round 1.";
  if (!cafe.round) return cafe.status === "open" ? "On stage: attendees are joining. Start round 1 when ready." : "Ended before any round.";
  const left = clock.left(cafe.ends_at);
  const round = `Round ${cafe.round} of ${cafe.rounds}`;
  if (cafe.status !== "open") return `${round} · the café has ended`;
  if (left <= 0) return cafe.round >= cafe.rounds ? `${round} · time is up; that was the last round` : `${round} · time is up`;
  return `${round} · ${clockText(left)} left`;
}

function statsLine(stats) {
  if (!stats || stats.min_size === undefined) return "";
  const sizes = stats.min_size === stats.max_size ? `${stats.min_size}` : `${stats.min_size} to ${stats.max_size}`;
  return (
    `Seating: ${stats.repeat_pairs} repeated pairs · ${stats.same_org_pairs} same-organisation pairs · ` +
    `tables of ${sizes} people`
  );
}

function personLine(l, id, host) {
  const p = l.people[id] || { id, name: id };
  const about = [p.organisation, p.country].filter((v) => v).join(" · ");
  return el(
    "li",
    { dataset: { id } },
    el("span", { dir: "auto", class: "cafe-person" }, p.name || id),
    host ? el("span", { class: "cafe-badge" }, "host") : null,
    about ? el("span", { class: "muted", dir: "auto" }, ` ${about}`) : null,
  );
}

function spotted(l, h) {
  return l.spotlight.some((s) => s.author_id === h.author && s.harvest_id === h.harvest_id);
}

function harvestItem(l, h) {
  const textId = `cafe-stage-h-${h.author}-${h.harvest_id}`;
  const on = spotted(l, h);
  return el(
    "li",
    { class: "cafe-stage-harvest", dataset: { author: h.author, harvestId: h.harvest_id, round: String(h.round), table: String(h.table) } },
    el("span", { id: textId, class: "cafe-stage-harvest-text", dir: "auto" }, h.text),
    el("span", { class: "small muted" }, " — ", el("bdi", {}, h.author_name || ""), h.edited_at ? " (edited)" : ""),
    el(
      "button",
      {
        type: "button",
        class: "button small-button",
        dataset: { cafeAction: "spotlight", author: h.author, harvest: h.harvest_id },
        "aria-pressed": String(on),
        "aria-describedby": textId,
      },
      on ? "On the big screen" : "Show on the big screen",
    ),
  );
}

function drawStage(cafe) {
  if (!cafe) {
    stopTicker();
    return;
  }
  const chart = ctx.chart;
  const focus = focusKey(document.activeElement);
  chart.dataset.kind = CAFE.type;
  delete chart.dataset.resultsPoll;
  const l = liveFor(cafe.id);
  const open = cafe.status === "open";
  const parts = [];
  parts.push(
    el(
      "div",
      { class: "cafe-stage-bar" },
      el(
        "button",
        { id: "cafe-next-round", type: "button", class: "button primary", dataset: { cafeAction: "round" }, disabled: !open || cafe.round >= cafe.rounds || ctx.ended },
        nextRoundLabel(cafe),
      ),
      el("p", { id: "cafe-clock", class: "cafe-clock", role: "timer" }, clockLine(cafe)),
    ),
  );
  if (l && l.warning && l.warning.round === cafe.round && clock.left(cafe.ends_at) > 0) {
    parts.push(el("p", { class: "cafe-warning small" }, `Everyone was warned: ${Math.round(l.warning.seconds_left)} s left.`));
  }
  const topics = (cafe.topics || []).length;
  parts.push(
    el(
      "p",
      { class: "small muted" },
      `${cafe.tables ? `${cafe.tables} tables` : `Tables of about ${cafe.table_size}`} · ${topics} topic${topics === 1 ? "" : "s"} · ` +
        `${Math.round(cafe.round_s / 60)} min a round` + (cafe.hosts && cafe.hosts.length ? ` · ${cafe.hosts.length} hosts` : ""),
    ),
  );
  if (!l) {
    parts.push(el("p", { class: "muted" }, open ? "Loading the tables…" : "Open the café to see its tables here."));
    chart.replaceChildren(...parts);
    setTotal(0);
    restoreFocus(focus);
    return;
  }
  const stats = statsLine(l.stats);
  if (stats) parts.push(el("p", { id: "cafe-stats", class: "small" }, stats));
  // What the big screen shows.
  parts.push(el("h3", { class: "cafe-stage-heading" }, "On the big screen"));
  if (l.spotlight.length) {
    parts.push(
      el(
        "ol",
        { id: "cafe-spotlight", class: "cafe-spotlight-list" },
        ...l.spotlight.map((s) => {
          const textId = `cafe-spot-${s.author_id}-${s.harvest_id}`;
          return el(
            "li",
            { dataset: { author: s.author_id, harvestId: s.harvest_id } },
            el("span", { id: textId, dir: "auto" }, s.text),
            el("span", { class: "small muted" }, ` — table ${s.table}, `, el("bdi", {}, s.author_name || "")),
            el(
              "button",
              { type: "button", class: "button small-button", dataset: { cafeAction: "unspot", author: s.author_id, harvest: s.harvest_id }, "aria-describedby": textId },
              "Take off",
            ),
          );
        }),
      ),
    );
  } else {
    parts.push(el("p", { id: "cafe-spotlight-empty", class: "small muted" }, "Nothing yet: pick a harvest below."));
  }
  // The tables of the round, with their live harvests.
  const harvests = [...l.harvests.values()];
  const current = (h) => h.round === cafe.round;
  const byTable = new Map();
  for (const h of harvests.filter(current)) {
    if (!byTable.has(h.table)) byTable.set(h.table, []);
    byTable.get(h.table).push(h);
  }
  const seated = l.tables.reduce((n, t) => n + (t ? t.members.length : 0), 0);
  parts.push(
    el(
      "h3",
      { class: "cafe-stage-heading" },
      cafe.round ? `Tables of round ${cafe.round}: ${l.tables.length} tables, ${seated} people` : `${l.joined} joined so far`,
    ),
  );
  if (l.tables.length) {
    parts.push(
      el(
        "ol",
        { id: "cafe-tables", class: "cafe-grid" },
        ...l.tables.filter(Boolean).map((table) => {
          const hs = byTable.get(table.table) || [];
          return el(
            "li",
            { class: "cafe-table", dataset: { table: String(table.table), size: String(table.members.length) } },
            el(
              "p",
              { class: "cafe-table-head" },
              el("strong", {}, `Table ${table.table}`),
              ` · ${table.members.length} ${table.members.length === 1 ? "person" : "people"}`,
            ),
            el("p", { class: "cafe-table-topic small", dir: "auto" }, table.topic),
            el("ul", { class: "cafe-members small" }, ...table.members.map((id) => personLine(l, id, id === table.host))),
            hs.length ? el("ul", { class: "cafe-table-harvests" }, ...hs.map((h) => harvestItem(l, h))) : null,
          );
        }),
      ),
    );
  }
  const earlier = harvests.filter((h) => !current(h));
  if (earlier.length) {
    parts.push(
      el(
        "details",
        { class: "cafe-earlier" },
        el("summary", {}, `Harvests of earlier rounds (${earlier.length})`),
        el(
          "ul",
          { class: "cafe-table-harvests" },
          ...earlier.map((h) => {
            const node = harvestItem(l, h);
            node.prepend(el("span", { class: "small muted" }, `Round ${h.round}, table ${h.table}: `));
            return node;
          }),
        ),
      ),
    );
  }
  const wasOpen = chart.querySelector("details.cafe-earlier") && chart.querySelector("details.cafe-earlier").open;
  chart.replaceChildren(...parts);
  if (wasOpen && chart.querySelector("details.cafe-earlier")) chart.querySelector("details.cafe-earlier").open = true;
  setTotal(l.joined);
  restoreFocus(focus);
  if (open && cafe.round) startTicker();
  else stopTicker();
}

function setTotal(joined) {
  setText(ctx.total, String(joined));
  setText(ctx.totalLabel, "joined");
}

/** How to find a focused stage control again once the stage is drawn anew. */
function focusKey(node) {
  if (!node || !node.closest || !node.closest("#chart") || !node.dataset) return null;
  if (node.id) return `#${CSS.escape(node.id)}`;
  const { cafeAction, author, harvest } = node.dataset;
  if (!cafeAction || !author) return null;
  return `[data-cafe-action="${cafeAction}"][data-author="${CSS.escape(author)}"][data-harvest="${CSS.escape(harvest)}"]`;
}

function restoreFocus(key) {
  if (!key) return;
  const again = ctx.chart.querySelector(key) || ctx.chart.querySelector(key.replace(/"unspot"|"spotlight"/, (m) => (m === '"unspot"' ? '"spotlight"' : '"unspot"')));
  if (again && !again.disabled) again.focus();
}

function startTicker() {
  if (ticker !== null) return;
  ticker = setInterval(() => {
    const selected = cafes.items().find((c) => ctx.isSelected(CAFE.type, c.id));
    const node = $("cafe-clock");
    if (!selected || !node) return stopTicker();
    setText(node, clockLine(selected));
  }, 1000);
}

function stopTicker() {
  if (ticker !== null) clearInterval(ticker);
  ticker = null;
}

async function onStageClick(evt) {
  const button = evt.target.closest("button[data-cafe-action]");
  if (!button) return;
  const cafe = cafes.items().find((c) => ctx.isSelected(CAFE.type, c.id));
  if (!cafe) return;
  const action = button.dataset.cafeAction;
  if (action === "round") {
    nextRound(cafe.id);
    return;
  }
  const l = liveFor(cafe.id);
  if (!l) return;
  const shown = action === "spotlight" ? button.getAttribute("aria-pressed") !== "true" : false;
  button.disabled = true;
  const ack = await ctx.call("cafe:spotlight", {
    cafe_id: cafe.id,
    author_id: button.dataset.author,
    harvest_id: button.dataset.harvest,
    shown,
  });
  button.disabled = false;
  if (!ack.ok) {
    ctx.toast(`Could not change the big screen: ${staffErrorText(ack.error)}`);
    return;
  }
  l.spotlight = ack.spotlight || [];
  ctx.renderStage();
}

// -- hosts ---------------------------------------------------------------------------------
async function loadAttendees() {
  const button = $("cafe-hosts-load");
  button.disabled = true;
  const ack = await ctx.call("cafe:attendees", {});
  button.disabled = false;
  if (!ack.ok) {
    showCreateError(`Could not load the attendees: ${staffErrorText(ack.error)}`);
    return;
  }
  attendees = (ack.attendees || []).slice().sort((a, b) => (a.name || "").localeCompare(b.name || ""));
  setText(button, "Reload the attendees");
  $("cafe-hosts-picker").hidden = false;
  renderHosts();
  $("cafe-hosts-filter").focus();
}

function renderHosts() {
  if (!attendees) return;
  const filter = $("cafe-hosts-filter").value.trim().toLowerCase();
  const shown = attendees.filter(
    (a) => hosts.includes(a.id) || !filter || `${a.name} ${a.organisation || ""} ${a.country || ""}`.toLowerCase().includes(filter),
  );
  const list = $("cafe-hosts-list");
  list.replaceChildren(
    ...shown.slice(0, 200).map((a) => {
      const id = `cafe-host-${a.id}`;
      const index = hosts.indexOf(a.id);
      const about = [a.organisation, a.country].filter((v) => v).join(" · ");
      return el(
        "li",
        {},
        el(
          "label",
          { class: "check", for: id },
          el("input", { id, type: "checkbox", checked: index >= 0, dataset: { hostId: a.id } }),
          el("span", { dir: "auto" }, ` ${a.name}`),
          about ? el("span", { class: "muted small", dir: "auto" }, ` ${about}`) : null,
          index >= 0 ? el("strong", { class: "small" }, ` table ${index + 1}`) : null,
        ),
      );
    }),
    ...(shown.length > 200 ? [el("li", { class: "small muted" }, `${shown.length - 200} more: type to narrow the list.`)] : []),
  );
  if (!attendees.length) list.replaceChildren(el("li", { class: "small muted" }, "No attendees have joined yet."));
  renderChosen();
}

function renderChosen() {
  const names = new Map((attendees || []).map((a) => [a.id, a.name]));
  setText(
    "cafe-hosts-chosen",
    hosts.length ? `Hosts: ${hosts.map((id, i) => `table ${i + 1}: ${names.get(id) || id}`).join(", ")}` : "",
  );
}

function onHostToggle(evt) {
  const input = evt.target.closest("input[data-host-id]");
  if (!input) return;
  const id = input.dataset.hostId;
  hosts = input.checked ? [...hosts.filter((h) => h !== id), id] : hosts.filter((h) => h !== id);
  renderHosts();
  const again = $(`cafe-host-${id}`);
  if (again) again.focus();
}

// -- the "New world café" form -----------------------------------------------------------
function showCreateError(text) {
  const error = $("cafe-create-error");
  error.hidden = !text;
  setText(error, text || "");
}

function wholeNumber(id) {
  const raw = $(id).value.trim();
  const n = Number(raw);
  return raw !== "" && Number.isInteger(n) ? n : null;
}

async function onCreate(evt) {
  evt.preventDefault();
  const size = wholeNumber("cafe-size-input");
  const rounds = wholeNumber("cafe-rounds-input");
  const minutes = Number($("cafe-minutes-input").value);
  const topics = $("cafe-topics-input")
    .value.split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const bySize = $("cafe-by-size").checked;
  if (size === null || size < 1) return showCreateError(bySize ? "Give the number of people per table." : "Give the number of tables.");
  if (rounds === null || rounds < 1) return showCreateError("Give the number of rounds, a whole number.");
  if (!Number.isFinite(minutes) || minutes <= 0) return showCreateError("Give the length of a round in minutes.");
  if (!topics.length) return showCreateError("Give at least one topic, one per line.");
  const payload = { rounds, round_s: Math.round(minutes * 60), topics };
  payload[bySize ? "table_size" : "tables"] = size;
  const title = $("cafe-title-input").value.trim();
  if (title) payload.title = title;
  const room = $("cafe-room-input").value.trim();
  if (room) payload.room_url = room;
  payload.spread = [
    ...($("cafe-spread-organisation").checked ? ["organisation"] : []),
    ...($("cafe-spread-country").checked ? ["country"] : []),
  ];
  if (hosts.length) payload.hosts = hosts;
  showCreateError("");
  const button = $("cafe-create-button");
  button.disabled = true;
  setText(button, "Creating…");
  const ack = await ctx.call("cafe:create", payload);
  button.disabled = false;
  setText(button, "Create world café");
  if (!ack.ok) return showCreateError(staffErrorText(ack.error));
  upsert(ack.cafe);
  ctx.select(CAFE.type, ack.cafe.id);
  $("cafe-title-input").value = "";
  hosts = [];
  renderHosts();
  renderChosen();
  ctx.render();
}

registerKind({
  ...CAFE,
  presenter: {
    mount,
    applyState,
    render: () => {
      render();
      keepRefreshing();
    },
    items,
    item,
    describe,
    title: (cafe) => cafe.title,
    drawStage,
    act,
    messages: {
      "cafe:created": (msg) => {
        upsert(msg.cafe);
        ctx.render();
      },
      "cafe:started": onStarted,
      "cafe:round": onRound,
      "cafe:table": onTable,
      "cafe:warning": onWarning,
      "cafe:round_ended": onRoundEnded,
      "cafe:ended": onEnded,
      "cafe:harvested": onHarvested,
      "cafe:harvest_removed": onHarvestRemoved,
      "cafe:spotlight": onSpotlight,
    },
  },
});
