// Award ballots in the presenter console: the list of ballots, the "New award ballot"
// form (title, method, candidates, who may vote, live count or sealed), the voter roll
// upload, and on the stage the turnout, the count when the ballot is live, and the
// staged reveal: third place, second place, then the winner on the big screen. The
// stage's Reveal button reveals the whole result at once.

import { ActivityList } from "../../core/activity-list.js";
import { $, el, setText } from "../../core/dom.js";
import { staffErrorText } from "../../core/errors.js";
import { registerKind } from "../../core/kinds.js";
import { mergeKeeping, missedChange, statusText } from "../../core/sync.js";
import { BALLOT, METHOD_NAMES, placeLabel, placesList, resultTable } from "./model.js";

/** A roll is sent in pieces under the server's message limit (16 KiB). */
const ROLL_CHUNK_CHARS = 12000;

let ctx = null; // the page shell's context (js/presenter.js)
const ballots = new ActivityList(); // id -> ballot, oldest first

const revealed = (b) => Boolean(b.reveal && b.reveal.complete);

// -- the shell's hooks --------------------------------------------------------------------
function mount(shell) {
  ctx = shell;
  const list = el("ol", { id: "ballots", class: "poll-list" });
  list.addEventListener("click", onListClick);
  ctx.main.append(
    el(
      "section",
      { class: "card" },
      el("h2", {}, "Award ballots"),
      el("p", { id: "ballots-empty", class: "muted" }, "No award ballots yet."),
      list,
    ),
  );
  const check = (id, label, checked = false) =>
    el("label", { class: "check-line", for: id }, el("input", { id, type: "checkbox", checked }), ` ${label}`);
  const form = el(
    "form",
    { id: "ballot-form", novalidate: true },
    el("label", { for: "ballot-title-input" }, "Title"),
    el("input", { id: "ballot-title-input", maxlength: 200, dir: "auto", placeholder: "Cluster Manager of the Year" }),
    el("label", { for: "ballot-method-select" }, "Counting method"),
    el(
      "select",
      { id: "ballot-method-select" },
      Object.entries(METHOD_NAMES).map(([method, label]) => el("option", { value: method }, label)),
    ),
    el(
      "label",
      { for: "ballot-candidates-input" },
      "Candidates ",
      el("span", { class: "optional" }, "(one per line: Name; Organisation)"),
    ),
    el("textarea", { id: "ballot-candidates-input", rows: 4, dir: "auto", placeholder: "Ana Sousa; Lisbon Digital Cluster\nJonas Berg" }),
    el(
      "fieldset",
      { class: "plain-fieldset" },
      el("legend", { class: "small" }, "Who may vote"),
      check("ballot-exclude-own", "Nobody votes for themselves or their organisation", true),
      check("ballot-joined-before", "Only attendees who joined before it opens"),
      check("ballot-voter-roll", "Only holders of a personal voting code (upload the roll on the stage)"),
    ),
    check("ballot-live", "Show me the count while voting is open (never the attendees or the screen)"),
    el("button", { id: "ballot-create-button", type: "submit", class: "button primary" }, "Create award ballot"),
    el("p", { id: "ballot-create-error", class: "error", role: "alert", hidden: true }),
  );
  form.addEventListener("submit", onCreate);
  ctx.side.append(el("section", { class: "card" }, el("h2", {}, "New award ballot"), form));
}

function applyState(msg) {
  if (Array.isArray(msg.ballots)) ballots.replace(msg.ballots, mergeBallot);
  const activity = msg.activity;
  if (activity && activity.type === BALLOT.type && ballots.put(activity.ballot, mergeBallot)) {
    ctx.setCurrent(BALLOT.type, activity.ballot.id);
  }
}

/** A copy of a ballot: broadcasts carry no result, so the known one stays. */
function mergeBallot(known, incoming) {
  const merged = mergeKeeping(known, incoming, ["result"]);
  merged.revealed = revealed(merged);
  return merged;
}

function upsert(incoming, redraw = true) {
  if (ballots.put(incoming, mergeBallot) && redraw) ctx.render();
}

const items = () => ballots.items();
const item = (id) => ballots.get(id) || null;

// -- the stage ---------------------------------------------------------------------------
function drawStage(ballot) {
  if (!ballot) return;
  const chart = ctx.chart;
  setText(ctx.total, String(ballot.turnout || 0));
  setText(ctx.totalLabel, ballot.turnout === 1 ? "ballot cast" : "ballots cast");
  const parts = [];
  parts.push(
    el(
      "p",
      { class: "muted small" },
      `${ballot.candidates.length} candidates · `,
      ballot.live ? "live count (for you only)" : "sealed until the reveal",
    ),
  );
  if (ballot.roll) parts.push(rollBox(ballot));
  const reveal = ballot.reveal;
  if (ballot.status === "closed" && !revealed(ballot)) parts.push(revealButtons(ballot));
  if (reveal) parts.push(placesList(ballot, reveal.places, { id: "ballot-stage-places" }));
  if (ballot.result) parts.push(resultTable(ballot, ballot.result, reveal ? reveal.places : fallbackPlaces(ballot)));
  else if (!reveal) {
    parts.push(
      el(
        "ul",
        { class: "ballot-stage-candidates" },
        ballot.candidates.map((c) => el("li", { dir: "auto" }, c.organisation ? `${c.name} (${c.organisation})` : c.name)),
      ),
    );
  }
  chart.replaceChildren(el("div", { class: "ballot-stage", dataset: { ballotId: ballot.id } }, parts));
}

/** A live count has no places yet: order its candidates by their totals. */
function fallbackPlaces(ballot) {
  const totals = (ballot.result && ballot.result.totals) || {};
  return [...ballot.candidates]
    .sort((a, b) => (totals[b.id] ?? -1) - (totals[a.id] ?? -1))
    .map((c, i) => ({ place: i + 1, candidates: [c.id] }));
}

function revealButtons(ballot) {
  const n = ballot.candidates.length;
  const shown = ballot.reveal ? ballot.reveal.from : null;
  const steps = [3, 2, 1].filter((p) => p <= n);
  return el(
    "p",
    { class: "ballot-reveal-steps" },
    "Staged reveal: ",
    steps.map((places) =>
      el(
        "button",
        {
          type: "button",
          class: "button small-button",
          dataset: { revealPlaces: String(places) },
          disabled: ctx.ended || (shown !== null && shown <= places),
          onclick: () => reveal(ballot.id, places),
        },
        `Reveal ${placeLabel(places).toLowerCase()}`,
      ),
    ),
  );
}

function rollBox(ballot) {
  const input = el("input", { id: "ballot-roll-file", type: "file", accept: ".csv,text/csv,text/plain" });
  const button = el("button", { id: "ballot-roll-upload", type: "button", class: "button small-button" }, "Upload");
  button.addEventListener("click", () => uploadRoll(ballot.id, input));
  return el(
    "div",
    { class: "ballot-roll" },
    el("p", { id: "ballot-roll-count", class: "small" }, `Voter roll: ${ballot.roll.codes} codes, ${ballot.roll.claimed} used`),
    el("label", { for: "ballot-roll-file", class: "small" }, "Add voting codes (CSV, one per row, column code or the first)"),
    input,
    button,
  );
}

async function uploadRoll(ballotId, input) {
  const file = input.files && input.files[0];
  if (!file) return ctx.toast("Choose a CSV file of voting codes first.");
  const text = await file.text();
  const rows = text.split(/\r?\n/);
  const header = /(^|,)\s*(voting[_ ]?)?codes?\s*(,|$)/i.test(rows[0] || "") ? rows.shift() : null;
  // Pieces of whole rows, each with the header so the server finds the same column.
  const pieces = [];
  let piece = [];
  let size = 0;
  for (const row of rows) {
    if (size + row.length > ROLL_CHUNK_CHARS && piece.length) {
      pieces.push(piece);
      piece = [];
      size = 0;
    }
    piece.push(row);
    size += row.length + 1;
  }
  if (piece.some((row) => row.trim())) pieces.push(piece);
  for (const rowsOf of pieces) {
    const csv = (header ? [header, ...rowsOf] : rowsOf).join("\n");
    const ack = await ctx.call("ballot:roll", { ballot_id: ballotId, csv });
    if (!ack.ok) return ctx.toast(`The voter roll was not (fully) added: ${staffErrorText(ack.error)}`);
    const ballot = ballots.get(ballotId);
    if (ballot) ballot.roll = ack.roll;
  }
  ctx.toast("Voter roll added.");
  ctx.render();
}

// -- messages ------------------------------------------------------------------------------
function onBallot(msg) {
  if (!msg || !msg.ballot) return;
  if (missedChange(ballots.get(msg.ballot.id), msg.ballot)) ctx.refresh();
  upsert(msg.ballot);
}

function onTurnout(msg) {
  const ballot = ballots.get(msg.ballot_id);
  if (!ballot) return ctx.refresh(); // a ballot we never heard of
  if ((msg.seq || 0) < (ballot.turnout_seq || 0)) return;
  ballot.turnout = msg.turnout;
  ballot.turnout_seq = msg.seq;
  const count = document.querySelector(`[data-ballot-id="${CSS.escape(ballot.id)}"] .answers`);
  if (count) setText(count, msg.turnout);
  if (ctx.isSelected(BALLOT.type, ballot.id)) setText(ctx.total, String(msg.turnout));
}

function onResults(msg) {
  const ballot = ballots.get(msg.ballot_id);
  if (!ballot || !msg.result) return;
  if (!msg.final && (msg.seq || 0) < (ballot.result_seq || 0)) return;
  ballot.result = msg.result;
  ballot.result_seq = msg.seq || ballot.result_seq;
  if (ctx.isSelected(BALLOT.type, ballot.id)) ctx.renderStage();
}

// -- the list ------------------------------------------------------------------------------
function render() {
  $("ballot-create-button").disabled = ctx.ended;
  $("ballots-empty").hidden = ballots.size > 0;
  $("ballots").replaceChildren(
    ...ballots.items().map((ballot) => {
      const id = ballot.id;
      const titleId = `ballot-title-${id}`;
      const selected = ctx.isSelected(BALLOT.type, id);
      return el(
        "li",
        {
          class: "poll-row" + (selected ? " selected" : "") + (ctx.isCurrent(BALLOT.type, id) ? " on-stage" : ""),
          dataset: { ballotId: id, status: ballot.status, revealed: String(revealed(ballot)) },
        },
        el(
          "button",
          { type: "button", class: "poll-select", dataset: { action: "select" }, "aria-current": selected ? "true" : null },
          el("span", { class: `status status-${ballot.status}`, text: statusText(ballot) }),
          el("span", { id: titleId, class: "poll-question", dir: "auto", text: ballot.title }),
          el(
            "span",
            { class: "poll-meta" },
            `${METHOD_NAMES[ballot.method] || ballot.method} · `,
            el("span", { class: "answers", text: String(ballot.turnout || 0) }),
            " cast",
            revealed(ballot) ? " · revealed" : "",
          ),
        ),
        el(
          "span",
          { class: "poll-actions" },
          action("open", ballot.status === "closed" ? "Reopen" : "Open", ballot.status === "open" || Boolean(ballot.reveal), titleId),
          action("close", "Close", ballot.status !== "open", titleId),
        ),
      );
    }),
  );
}

function action(name, label, disabled, describedBy) {
  return el(
    "button",
    { type: "button", class: "button small-button", dataset: { action: name }, disabled: disabled || ctx.ended, "aria-describedby": describedBy },
    label,
  );
}

function onListClick(evt) {
  const button = evt.target.closest("button[data-action]");
  const row = evt.target.closest("[data-ballot-id]");
  if (!button || !row) return;
  if (button.dataset.action === "select") {
    ctx.select(BALLOT.type, row.dataset.ballotId);
    ctx.render();
    return;
  }
  act(button.dataset.action, row.dataset.ballotId);
}

/** open | close | reveal (the whole result), from the list or the stage's buttons. */
async function act(name, ballotId) {
  const ack = await ctx.call(`ballot:${name}`, { ballot_id: ballotId });
  if (!ack.ok) {
    ctx.toast(`Could not ${name} the ballot: ${staffErrorText(ack.error)}`);
  } else {
    upsert(ack.ballot, false);
    if (name === "open" || name === "reveal") {
      ctx.setCurrent(BALLOT.type, ballotId);
      ctx.select(BALLOT.type, ballotId);
    }
  }
  ctx.render();
}

async function reveal(ballotId, places) {
  const ack = await ctx.call("ballot:reveal", { ballot_id: ballotId, places });
  if (!ack.ok) ctx.toast(`Could not reveal: ${staffErrorText(ack.error)}`);
  else {
    upsert(ack.ballot, false);
    ctx.setCurrent(BALLOT.type, ballotId);
  }
  ctx.render();
}

// -- the form --------------------------------------------------------------------------------
async function onCreate(evt) {
  evt.preventDefault();
  const error = $("ballot-create-error");
  const showError = (text) => {
    error.hidden = !text;
    setText(error, text || "");
  };
  const title = $("ballot-title-input").value.trim();
  const candidates = $("ballot-candidates-input")
    .value.split("\n")
    .map((line) => line.split(";").map((part) => part.trim()))
    .filter(([name]) => name)
    .map(([name, organisation]) => (organisation ? { name, organisation } : { name }));
  if (!title) return showError("Give the ballot a title.");
  if (candidates.length < 2) return showError("Give at least two candidates, one per line.");
  const payload = {
    title,
    method: $("ballot-method-select").value,
    candidates,
    live: $("ballot-live").checked,
    eligibility: {
      exclude_own: $("ballot-exclude-own").checked,
      joined_before_open: $("ballot-joined-before").checked,
      voter_roll: $("ballot-voter-roll").checked,
    },
  };
  showError("");
  const button = $("ballot-create-button");
  button.disabled = true;
  const ack = await ctx.call("ballot:create", payload);
  button.disabled = false;
  if (!ack.ok) return showError(staffErrorText(ack.error));
  upsert(ack.ballot, false);
  ctx.select(BALLOT.type, ack.ballot.id);
  $("ballot-title-input").value = "";
  $("ballot-candidates-input").value = "";
  ctx.render();
}

registerKind({
  ...BALLOT,
  presenter: {
    mount,
    applyState,
    render,
    items,
    item,
    describe: (ballot) => `Award ballot · ${METHOD_NAMES[ballot.method] || ballot.method}`,
    title: (ballot) => ballot.title,
    drawStage,
    act,
    messages: {
      "ballot:created": (msg) => upsert(msg.ballot),
      "ballot:opened": (msg) => {
        onBallot(msg);
        ctx.setCurrent(BALLOT.type, msg.ballot.id);
        ctx.select(BALLOT.type, msg.ballot.id);
        ctx.render();
      },
      "ballot:closed": onBallot,
      "ballot:revealed": onBallot,
      "ballot:turnout": onTurnout,
      "ballot:results": onResults,
    },
  },
});
