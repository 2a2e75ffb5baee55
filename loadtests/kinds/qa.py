"""Q&A and reactions in the load tests (issue 19's Load section): every attendee upvotes
and reacts for a minute while some of them ask, and the room's Q&A and reactions must
stay exact and bounded (docs/loadtest.md, "Q&A and reactions").

Q&A never takes the stage, so the scenario drives it directly: the presenter sets the
room's Q&A and emoji (every attendee must receive ``qa:settings`` and
``reactions:settings``), then tells every Locust process to start the storm (the kind's
command ``qa:storm``): until ``ends_at`` each attendee taps reactions (no ack, as the
pages send them), upvotes a question it knows from ``qa:questions`` now and then and
sometimes takes an upvote back, and the askers ask their questions. Halfway through the
presenter highlights the top question (every attendee must receive ``qa:highlight``)
and replies to it; after the storm it reads the final list (``qa:list``).

Checks, after the run, over what every attendee and the presenter saw:

* every upvote's effect is exact in the final list: per question, the upvotes the
  attendees saw acked (minus those they took back) = the list's votes (and, through the
  generic tally, their total = the export's);
* every question asked (acked) is in the list, once;
* every attendee's last ``qa:votes`` is the final list (same version, same counts);
* every tap is shown once: the ``reactions`` totals the presenter received = the taps sent;
* the outgoing messages per second per room stay within what docs/protocol.md promises:
  ``qa:votes`` and ``reactions`` at most one per 500 ms window, ``qa:questions`` at most
  one per window and server process (per receiver: at most that on average over the
  storm, and one more in any single second, for a send that a slow store read pushed
  past a second's boundary).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gevent

from loadtests import kinds, scenarios
from loadtests.kinds import Kind, Listener, Participant, Staff
from loadtests.scenarios import Activity, ActivitySpec, Director, Scenario, ScenarioError

TYPE = "qa"
STORM = "qa:storm"
#: the coalescing windows docs/protocol.md documents (``--qa-update-interval-ms``,
#: ``--reactions-window-ms``): the bounds the checks hold the server to
QA_WINDOW_MS = 500
REACTIONS_WINDOW_MS = 500
EMOJIS = ("👍", "❤️", "😂", "👏", "🎉")
#: the streams whose rate is bounded: per receiver, per second
BOUNDED = ("qa:votes", "qa:questions", "reactions")
SEND_ATTEMPTS = 5
WAIT_S = 10.0
TOPICS = ("the budget", "the slides", "the roadmap", "the next release", "hiring", "pricing")


def now_ms() -> float:
    return time.time() * 1000.0


@dataclass(frozen=True)
class QASpec:
    """The room's Q&A for the storm: anonymous questions allowed, no moderation (every
    question is public at once, so everyone can upvote it)."""

    type: ClassVar[str] = TYPE

    anonymous: bool = True
    moderation: bool = False
    emojis: tuple[str, ...] = EMOJIS


# -- attendees ----------------------------------------------------------------------------
@dataclass
class Seen:
    """What one attendee did and received (its ``kind_data["qa"]``)."""

    #: public questions it knows of (from ``qa:questions``), in the order it learnt them
    known: list[str] = field(default_factory=list)
    known_set: set[str] = field(default_factory=set)
    #: the questions its upvote is on (acked)
    voted: set[str] = field(default_factory=set)
    ups: int = 0
    withdrawals: int = 0
    #: upvotes whose outcome it never learnt (no ack after every attempt)
    unknown: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    last_ack: float = 0.0
    asker: bool = False
    asked: list[str] = field(default_factory=list)
    taps: int = 0
    taps_unsent: int = 0
    #: taps skipped because the load generator woke the tapper too late
    taps_late: int = 0
    #: the highest-version ``qa:votes`` received: (version, votes)
    votes_version: int = -1
    votes: dict[str, int] = field(default_factory=dict)
    votes_out_of_order: int = 0
    #: (event, second of the server's ``ts``) -> messages received
    rates: Counter[tuple[str, int]] = field(default_factory=Counter)


def seen(user: Listener) -> Seen:
    found = user.kind_data.get(TYPE)
    if found is None:
        found = user.kind_data[TYPE] = Seen()
    return found  # type: ignore[no-any-return]


def _count(s: Seen, event: str, data: Mapping[str, Any]) -> None:
    ts = data.get("ts")
    if isinstance(ts, int | float):
        s.rates[(event, int(ts // 1000))] += 1


def on_questions(user: Listener, data: Any, _: float) -> None:
    if not isinstance(data, dict):
        return
    s = seen(user)
    _count(s, "qa:questions", data)
    for question in data.get("questions") or []:
        qid = question.get("id")
        if question.get("status") == "approved" and qid not in s.known_set:
            s.known_set.add(qid)
            s.known.append(qid)
    for qid in data.get("removed") or []:
        if qid in s.known_set:
            s.known_set.discard(qid)
            s.known.remove(qid)


def on_votes(user: Listener, data: Any, _: float) -> None:
    if not isinstance(data, dict):
        return
    s = seen(user)
    _count(s, "qa:votes", data)
    version = int(data.get("version", -1))
    if version > s.votes_version:
        s.votes_version = version
        s.votes = data.get("votes") or {}
    else:
        s.votes_out_of_order += 1  # an older count arrived later: clients ignore it


def on_mine(user: Listener, data: Any, _: float) -> None:
    if isinstance(data, dict):
        _count(seen(user), "qa:mine", data)


def on_settings(event: str) -> Any:
    def handle(user: Listener, data: Any, received: float) -> None:
        user.received.setdefault((event, TYPE), received)

    return handle


def on_highlight(user: Listener, data: Any, received: float) -> None:
    question = data.get("question") if isinstance(data, dict) else None
    if isinstance(question, dict):
        user.received.setdefault(("qa:highlight", str(question.get("id"))), received)


def start_storm(attendees: Sequence[Participant], data: dict[str, Any]) -> None:
    """The ``qa:storm`` command: every attendee of this process acts until ``ends_at``;
    this process's share of the askers ask."""
    share = int(data["askers"]) * len(attendees) / max(1, int(data["attendees"]))
    # This process's share, rounded so that processes with equal halves (e.g. 7.5 and
    # 7.5) round apart: the even-numbered worker up, the other down.
    worker = int(getattr(attendees[0], "worker", 0)) if attendees else 0
    whole, rest = int(share), share - int(share)
    askers = min(len(attendees), whole + int(rest > 0.5 or (rest == 0.5 and worker % 2 == 0)))
    stride = len(attendees) / askers if askers else 0.0
    chosen = {int(k * stride) for k in range(askers)}
    for i, user in enumerate(attendees):
        seen(user).asker = i in chosen
        user.jobs.put(lambda user=user: storm(user, data))


def storm(user: Participant, plan: dict[str, Any]) -> None:
    """One attendee's minute: taps (in a greenlet of their own, as a thumb taps whatever
    the other hand does), upvotes, withdrawals and, for an asker, questions, at random
    moments (Poisson, at the plan's rates), until ``ends_at``."""
    s = seen(user)
    rng = user.rng
    start, end = float(plan["starts_at"]), float(plan["ends_at"])
    tapper = gevent.spawn(tapping, user, s, plan)
    todo = [(t, "vote") for t in moments(rng, start, end, float(plan["vote_every_s"]))]
    if s.asker:
        # Asked in the first 60 % of the storm, so everyone has time to upvote them.
        todo += [
            (start + rng.uniform(0, 0.6) * (end - start), "ask")
            for _ in range(int(plan["questions_each"]))
        ]
    todo.sort()
    try:
        for when, what in todo:
            gevent.sleep(max(0.0, (when - now_ms()) / 1000))
            if now_ms() >= end:
                break
            if what == "vote":
                vote(user, s, plan)
            else:
                ask(user, s, len(s.asked) + 1)
    finally:
        tapper.join(timeout=max(0.0, (end - now_ms()) / 1000) + 1.0)
        tapper.kill(block=False)


def moments(rng: Any, start: float, end: float, every_s: float) -> list[float]:
    """Poisson arrivals, ``every_s`` apart on average, from ``start`` to ``end`` (ms)."""
    out = []
    t = start + rng.expovariate(1 / every_s) * 1000
    while t < end:
        out.append(t)
        t += rng.expovariate(1 / every_s) * 1000
    return out


#: a tap this late (the load generator was busy) is skipped, not sent in a burst with
#: the next ones: a person does not catch up on taps, and a burst could go over the
#: per-attendee limit, whose drops this scenario does not expect
TAP_LATE_MS = 500.0


def tapping(user: Participant, s: Seen, plan: Mapping[str, Any]) -> None:
    emojis = list(plan["emojis"])
    start, end = float(plan["starts_at"]), float(plan["ends_at"])
    for when in moments(user.rng, start, end, 1 / float(plan["taps_per_s"])):
        gevent.sleep(max(0.0, (when - now_ms()) / 1000))
        late = now_ms() - when
        if now_ms() >= end:
            break
        if late > TAP_LATE_MS:
            s.taps_late += 1
            continue
        tap(user, s, user.rng.choice(emojis))


def tap(user: Participant, s: Seen, emoji: str) -> None:
    """A reaction as the pages send it: no ack (the server drops taps over the limit
    silently; this load stays under it, so every tap must be shown)."""
    if not user.connected:
        s.taps_unsent += 1
        return
    try:
        user.sio.emit("reaction", {"emoji": emoji})
    except Exception:  # the connection went away meanwhile: not sent
        s.taps_unsent += 1
        return
    s.taps += 1


def vote(user: Participant, s: Seen, plan: Mapping[str, Any]) -> None:
    """Upvote a known question it has not upvoted, or now and then take an upvote back."""
    rng = user.rng
    fresh = [q for q in s.known if q not in s.voted]
    if s.voted and (not fresh or rng.random() < float(plan["withdraw_share"])):
        qid, up = rng.choice(sorted(s.voted)), False
    elif fresh:
        qid, up = rng.choice(fresh), True
    else:
        return  # nothing asked yet
    ack = send(user, s, "qa:upvote", {"question_id": qid, "up": up})
    if ack is None:
        s.unknown += 1
        return
    if not ack.get("ok"):
        return
    s.last_ack = now_ms()
    key = f"{user.attendee_id}/{qid}"
    if up:
        s.voted.add(qid)
        s.ups += 1
        user.note_answer(str(plan["activity"]), key, [qid])
    else:
        s.voted.discard(qid)
        s.withdrawals += 1
        user.note_answer(str(plan["activity"]), key, None)


def ask(user: Participant, s: Seen, number: int) -> None:
    topic = user.rng.choice(TOPICS)
    name = user.identity.get("name", "someone")
    payload = {
        "text": f"Question {number} from {name}: what about {topic}?",
        "anonymous": user.rng.random() < 0.3,
        "ask_id": uuid.uuid4().hex,  # kept for the retries: never asked twice
    }
    ack = send(user, s, "qa:ask", payload)
    if ack is not None and ack.get("ok"):
        s.asked.append(str(ack["question"]["id"]))


def send(user: Participant, s: Seen, event: str, payload: dict[str, Any]) -> Any:
    """Emit with an ack; the same payload again when the ack is lost, the connection is
    down or the server asks to wait (an upvote and an ``ask_id`` are idempotent).
    Returns the last ack (an error ack is kept in ``refused``), or None."""
    for attempt in range(SEND_ATTEMPTS):
        if not user.connected:
            user.welcomed.wait(timeout=WAIT_S)
            continue
        ack = user.call(event, payload, name=event if attempt == 0 else f"{event} (retry)")
        if ack is None:
            continue
        if ack.get("ok") is True:
            return ack
        error = ack.get("error") or {}
        code = str(error.get("code", "unknown"))
        if code == "rate_limited":
            gevent.sleep(float(error.get("retry_after_ms", 100)) / 1000)
            continue
        if code == "unavailable":
            gevent.sleep(0.5)
            continue
        s.refused[f"{event}: {code}"] += 1
        return ack
    return None


def collect(attendees: Sequence[Listener]) -> dict[str, Any]:
    """What this Locust process's attendees did and received, summed (small: counts per
    question and per second, the distinct last ``qa:votes``)."""
    upvotes: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    last: dict[tuple[int, tuple[tuple[str, int], ...]], int] = Counter()
    peaks: dict[str, dict[int, int]] = defaultdict(dict)
    received: Counter[str] = Counter()
    receivers: Counter[str] = Counter()
    out: dict[str, Any] = {
        "attendees": 0,
        "processes": 0,
        "asked": [],
        "askers": 0,
        "ups": 0,
        "withdrawals": 0,
        "unknown": 0,
        "last_ack": 0.0,
        "taps": 0,
        "taps_unsent": 0,
        "taps_late": 0,
        "out_of_order": 0,
        "dropped": 0,
    }
    for user in attendees:
        s = user.kind_data.get(TYPE)
        if not isinstance(s, Seen) or user.attendee_id is None:
            continue
        out["attendees"] += 1
        cfg = getattr(user, "cfg", None)
        out["processes"] = max(out["processes"], len(cfg.urls) if cfg is not None else 1)
        out["dropped"] += int(len(getattr(user, "intervals", [])) > 1)
        upvotes.update(s.voted)
        refused.update(s.refused)
        out["asked"] += s.asked
        out["askers"] += int(s.asker)
        out["ups"] += s.ups
        out["withdrawals"] += s.withdrawals
        out["unknown"] += s.unknown
        out["last_ack"] = max(out["last_ack"], s.last_ack)
        out["taps"] += s.taps
        out["taps_unsent"] += s.taps_unsent
        out["taps_late"] += s.taps_late
        out["out_of_order"] += s.votes_out_of_order
        shown = tuple(sorted((q, int(n)) for q, n in s.votes.items() if n))
        last[(s.votes_version, shown)] += 1
        events = set()
        for (event, second), n in s.rates.items():
            events.add(event)
            received[event] += n
            peaks[event][second] = max(peaks[event].get(second, 0), n)
        receivers.update(events)
    out["upvotes"] = dict(upvotes)
    out["refused"] = dict(refused)
    out["last_votes"] = [
        {"version": v, "votes": dict(shown), "attendees": n} for (v, shown), n in last.items()
    ]
    out["rates"] = {
        event: {
            "peaks": {str(k): v for k, v in peaks[event].items()},
            "received": received[event],
            "receivers": receivers[event],
        }
        for event in peaks
    }
    return out


# -- the presenter ------------------------------------------------------------------------
@dataclass
class StaffSeen:
    """What the presenter received (one presenter per test: this module keeps it)."""

    rates: Counter[tuple[str, int]] = field(default_factory=Counter)
    shown: Counter[str] = field(default_factory=Counter)
    windows: set[int] = field(default_factory=set)
    #: when the last ``reactions`` message arrived (epoch ms)
    last_reactions: float = 0.0


STAFF = StaffSeen()


def staff_counter(event: str) -> Any:
    def handle(data: Any, _: float) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("ts"), int | float):
            return
        STAFF.rates[(event, int(data["ts"] // 1000))] += 1
        if event == "reactions":
            STAFF.last_reactions = now_ms()
            STAFF.shown.update({k: int(v) for k, v in (data.get("counts") or {}).items()})
            STAFF.windows.add(int(data.get("window_ms", 0)))

    return handle


def create(staff: Staff, spec: ActivitySpec) -> Activity:
    if not isinstance(spec, QASpec):
        raise TypeError(f"not a Q&A: {spec!r}")
    STAFF.rates.clear()
    STAFF.shown.clear()
    STAFF.windows.clear()
    STAFF.last_reactions = 0.0
    activity = Activity(TYPE, TYPE)
    staff.entry(activity).update(
        kind="qa",
        settings={"anonymous": spec.anonymous, "moderation": spec.moderation},
        emojis=list(spec.emojis),
    )
    return activity


def open_qa(staff: Staff, activity: Activity, storm_s: float, lead_s: float) -> dict[str, Any]:
    """Set the room's Q&A and emoji (everyone connected must receive both) and fix the
    storm's window: returned, and kept in the entry."""
    entry = staff.entry(activity)
    ack, sent = staff.request("qa:settings", entry["settings"])
    staff.expect("qa:settings", TYPE, sent)
    _, sent = staff.request("reactions:settings", {"emojis": entry["emojis"]})
    staff.expect("reactions:settings", TYPE, sent)
    starts = now_ms() + lead_s * 1000
    entry.update(starts_at=starts, ends_at=starts + storm_s * 1000)
    return {**ack, "starts_at": starts, "ends_at": entry["ends_at"], "emojis": entry["emojis"]}


def highlight(staff: Staff, activity: Activity) -> dict[str, Any]:
    """Highlight the top question (every attendee must receive ``qa:highlight``) and
    reply to it (a ``qa:questions`` change, within the same bounds)."""
    listed, _ = staff.request("qa:list", {})
    public = [q for q in listed["qa"]["questions"] if q["status"] == "approved"]
    if not public:
        raise ScenarioError("no question to highlight: nobody asked")
    top = public[0]["id"]
    ack, sent = staff.request("qa:highlight", {"question_id": top})
    staff.expect("qa:highlight", top, sent)
    staff.request("qa:reply", {"question_id": top, "text": "We will come back to this."})
    staff.entry(activity)["highlighted"] = top
    return ack


#: before reading the totals, the presenter waits (at most ``SETTLE_MAX_S``) until no
#: ``reactions`` message came for this long: the last taps' window has been sent
REACTIONS_QUIET_MS = 4 * REACTIONS_WINDOW_MS
SETTLE_MAX_S = 20.0


def close(staff: Staff, activity: Activity) -> dict[str, Any]:
    """Once the last taps' totals have arrived (bounded), read the final list: its votes
    are the tally every upvote must add up to."""
    deadline = now_ms() + SETTLE_MAX_S * 1000
    while now_ms() - STAFF.last_reactions < REACTIONS_QUIET_MS and now_ms() < deadline:
        gevent.sleep(0.1)
    read_at = now_ms()
    ack, _ = staff.request("qa:list", {})
    qa = ack["qa"]
    counts = {q["id"]: int(q["votes"]) for q in qa["questions"]}
    entry = staff.entry(activity)
    entry.update(
        results={"total": sum(counts.values()), "counts": counts},
        questions=[q["id"] for q in qa["questions"]],
        version=qa["version"],
        read_at=read_at,
        staff_rates=_peaks(STAFF.rates),
        shown=dict(STAFF.shown),
        windows=sorted(STAFF.windows),
    )
    return ack


def _peaks(rates: Counter[tuple[str, int]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for (event, second), n in rates.items():
        out[event][str(second)] = n
    return dict(out)


# -- the checks, on the master ------------------------------------------------------------
def line(name: str, target: str, actual: Any, ok: bool) -> dict[str, Any]:
    return {"name": name, "target": target, "actual": actual, "ok": bool(ok)}


def check(entries: list[dict[str, Any]], collected: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in entries:
        if entry.get("results") is None:
            out.append(line("Q&A: the storm ran", "the final list read", "never read", False))
            continue
        out += check_storm(entry, [c for c in collected if isinstance(c, dict)])
    return out


def check_storm(entry: dict[str, Any], workers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    final: dict[str, int] = entry["results"]["counts"]
    upvotes: Counter[str] = Counter()
    for w in workers:
        upvotes.update(w["upvotes"])
    ups = sum(w["ups"] for w in workers)
    withdrawals = sum(w["withdrawals"] for w in workers)
    unknown = sum(w["unknown"] for w in workers)
    late = max((w["last_ack"] for w in workers), default=0.0) > entry["read_at"]
    off = {q: (upvotes.get(q, 0), final.get(q, 0)) for q in set(upvotes) | set(final)}
    off = {q: pair for q, pair in off.items() if pair[0] != pair[1]}
    refused: Counter[str] = Counter()
    for w in workers:
        refused.update(w["refused"])

    asked = [q for w in workers for q in w["asked"]]
    askers = sum(w["askers"] for w in workers)
    listed = entry["questions"]

    attendees = sum(w["attendees"] for w in workers)
    dropped = sum(w["dropped"] for w in workers)
    current = {q: n for q, n in final.items() if n}
    agree = sum(
        g["attendees"]
        for w in workers
        for g in w["last_votes"]
        if g["version"] == entry["version"] and g["votes"] == current
    )

    taps = sum(w["taps"] for w in workers)
    unsent = sum(w["taps_unsent"] for w in workers)
    late_taps = sum(w["taps_late"] for w in workers)
    shown = sum(entry.get("shown", {}).values())

    seconds = max(1.0, (entry["ends_at"] - entry["starts_at"]) / 1000)
    processes = max((w["processes"] for w in workers), default=1) or 1
    return [
        line(
            "Q&A: every upvote exact in the final list (acked - taken back = its votes)",
            "every question",
            f"{len(final)} questions, {entry['results']['total']} votes; {ups} upvotes and "
            f"{withdrawals} taken back acked; {len(off)} questions off"
            + (f" (first: {sorted(off.items())[0]})" if off else "")
            + (f"; {unknown} upvotes without an outcome" if unknown else "")
            + ("; an upvote was acked after the list was read" if late else "")
            + (f"; refused: {dict(refused)}" if refused else ""),
            not off and not unknown and not late and ups > 0,
        ),
        line(
            "Q&A: every question asked is in the list, once",
            "all",
            f"{askers} askers, {len(asked)} questions acked ({len(set(asked))} distinct), "
            f"{len(listed)} in the list",
            len(asked) > 0 and len(set(asked)) == len(asked) and set(asked) == set(listed),
        ),
        line(
            "Q&A: every attendee's last qa:votes is the final list",
            f"{attendees - dropped} (attendees connected throughout)",
            f"{agree} of {attendees} (version {entry['version']})",
            agree >= attendees - dropped and attendees > 0,
        ),
        line(
            "reactions: every tap shown once (presenter's totals = taps sent)",
            str(taps),
            f"{shown} shown in {staff_messages(entry, 'reactions')} messages"
            + (f"; {unsent} taps not sent (disconnected)" if unsent else "")
            + (f"; {late_taps} skipped (the load generator was late)" if late_taps else ""),
            shown == taps and taps > 0,
        ),
        *rate_lines(entry, workers, seconds, processes),
    ]


def staff_messages(entry: Mapping[str, Any], event: str) -> int:
    """How many ``event`` messages the presenter received."""
    return sum((entry.get("staff_rates") or {}).get(event, {}).values())


def bound(event: str, processes: int) -> float:
    """Messages per second per receiver that docs/protocol.md allows."""
    if event == "reactions":
        return 1000 / REACTIONS_WINDOW_MS
    if event == "qa:questions":
        return 1000 / QA_WINDOW_MS * processes
    return 1000 / QA_WINDOW_MS


def rate_lines(
    entry: Mapping[str, Any], workers: list[dict[str, Any]], seconds: float, processes: int
) -> list[dict[str, Any]]:
    """Per stream and audience: the mean over the storm (messages per receiver per
    second) and the peak in any one second, against the documented bound."""
    out = []
    first = int(entry["starts_at"] // 1000)
    last = int(entry["ends_at"] // 1000)

    def judge(label: str, event: str, per_second: Mapping[int, int]) -> None:
        limit = bound(event, processes)
        mean = sum(n for s, n in per_second.items() if first <= s < last) / seconds
        peak = max(per_second.values(), default=0)
        out.append(
            line(
                f"{label}: {event} per second per room",
                f"mean <= {limit:g}, any second <= {limit + 1:g}",
                f"mean {mean:.2f}, peak {peak}",
                peak > 0 and mean <= limit and peak <= limit + 1,
            )
        )

    staff = entry.get("staff_rates") or {}
    for event in BOUNDED:
        judge("presenter", event, {int(k): v for k, v in (staff.get(event) or {}).items()})
    for event in ("qa:votes", "qa:questions"):
        # Every attendee receives every broadcast of its room once: per second, the
        # busiest attendee's count (over every Locust process) stands for the room.
        busiest: dict[int, int] = {}
        received = receivers = 0
        for w in workers:
            rates = (w.get("rates") or {}).get(event)
            if not rates:
                continue
            receivers += int(rates["receivers"])
            received += int(rates["received"])
            for k, v in rates["peaks"].items():
                busiest[int(k)] = max(busiest.get(int(k), 0), int(v))
        judge("attendees", event, busiest)
        if receivers:
            out[-1]["actual"] += f", {received / receivers:.0f} received per attendee"
    return out


def export_totals(items: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    """The export's questions: the room's votes, summed (the tally's total)."""
    total = sum(int(item.get("votes", 0)) for item in items)
    return {TYPE: (total, total)}


QA = kinds.register(
    Kind(
        type=TYPE,
        key=TYPE,
        id_field="question_id",
        # Q&A never takes the stage: no state broadcasts, nothing to answer on stage.
        broadcasts=(),
        opened="",
        results="qa:votes",
        answer_event="qa:upvote",
        answer=lambda question, _: {"question_id": question["id"], "up": True},
        stored=lambda ack: ack.get("up"),
        counted_keys=lambda up: [],
        create=create,
        verbs={"open": open_qa, "highlight": highlight, "close": close},
        export_key="questions",
        export_totals=export_totals,
        attendee_handlers={
            "qa:questions": on_questions,
            "qa:votes": on_votes,
            "qa:mine": on_mine,
            "qa:highlight": on_highlight,
            "qa:settings": on_settings("qa:settings"),
            "reactions:settings": on_settings("reactions:settings"),
        },
        collect=collect,
        check=check,
        commands={STORM: start_storm},
        staff_handlers={event: staff_counter(event) for event in BOUNDED},
    )
)


# -- the scenario -------------------------------------------------------------------------
@dataclass(frozen=True)
class QAStorm(Scenario):
    """Everyone joins; the presenter sets the room's Q&A and emoji; for the vote window
    (the storm: 60 s) every attendee taps reactions and upvotes while ``askers`` of them
    ask ``questions_each`` questions; halfway the presenter highlights the top question;
    after the storm it reads the final list."""

    vote_window_s: float = 60.0
    askers: int = 50
    questions_each: int = 3
    taps_per_s: float = 1.0
    vote_every_s: float = 5.0
    withdraw_share: float = 0.2
    lead_s: float = 2.0
    #: after the storm, before the final list is read: the last acks and ``qa:votes``
    settle_s: float = 3.0

    def run(self, d: Director) -> None:
        self.gather(d)
        activity = d.create(QASpec())
        plan = d.act(activity, "open", storm_s=self.vote_window_s, lead_s=self.lead_s)
        d.mark(f"{TYPE} opened")
        attendees = d.attendees_expected
        d.command_attendees(
            STORM,
            activity=activity.id,
            starts_at=plan["starts_at"],
            ends_at=plan["ends_at"],
            emojis=plan["emojis"],
            attendees=attendees,
            askers=min(self.askers, max(1, attendees // 2)),
            questions_each=self.questions_each,
            taps_per_s=self.taps_per_s,
            vote_every_s=self.vote_every_s,
            withdraw_share=self.withdraw_share,
        )
        d.sleep(self.lead_s + self.vote_window_s / 2)
        d.act(activity, "highlight")
        d.mark("top question highlighted")
        d.sleep(max(0.0, (plan["ends_at"] - now_ms()) / 1000) + self.settle_s)
        d.act(activity, "close")
        d.mark(f"{TYPE} closed")


scenarios.register(
    QAStorm(
        name="qa_storm",
        summary="all attendees join (50/s); for a minute every attendee taps reactions "
        "(about 1 a second) and upvotes (about every 5 s, taking one back now and then) "
        "while 50 of them ask 3 questions each; halfway the presenter highlights the top "
        "question; every upvote must be exact in the final list, every tap shown once, "
        "qa:votes, qa:questions and reactions within their documented rates",
        activities=(QASpec(),),
    ),
)
