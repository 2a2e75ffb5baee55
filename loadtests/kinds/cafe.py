"""World cafés in the load tests: attendees join the café when it comes on stage (their
"answer" is ``cafe:join``), the presenter starts its rounds, and every attendee must
receive exactly one ``cafe:assignment`` a round. After the run the café's own checks
compare what everyone received (summed over every Locust process) with the presenter's
acks: one assignment per round each, tablemates that agree (if A lists B, B lists A and
both name the same table, the ack's), stats that match what was received, and the time
from each round's start to its last delivery (docs/loadtest.md, "World café")."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import gevent

from loadtests import kinds, scenarios
from loadtests.kinds import Kind, Listener, Staff, announced, created, spec_of
from loadtests.scenarios import Activity, ActivitySpec, Director, Scenario, ScenarioError

TYPE = "cafe"
#: about 9.6 people a table: 1,000 attendees sit at 104 tables (of 9 and 10)
PEOPLE_PER_TABLE = 1000 / 104
TOPICS = ("Energy", "Food", "Cities", "Health", "Work", "Water", "Mobility", "Learning")


@dataclass(frozen=True)
class CafeSpec:
    """A café the presenter creates (``tables`` None: from the number of attendees)."""

    type: ClassVar[str] = TYPE

    title: str = "Load-test café"
    rounds: int = 4
    round_s: int = 600
    tables: int | None = None
    topics: tuple[str, ...] = TOPICS

    def payload(self) -> dict[str, Any]:
        """The ``cafe:create`` payload."""
        return {
            "title": self.title,
            "tables": self.tables or 1,
            "rounds": self.rounds,
            "round_s": self.round_s,
            "topics": list(self.topics),
            "room_url": "https://video.example/{event}-{table}",
        }


# -- attendees ----------------------------------------------------------------------------
def answer(cafe: dict[str, Any], _: Any) -> dict[str, Any]:
    """Joining the café is this kind's answer (the user adds a ``vote_id``, ignored)."""
    return {"cafe_id": cafe["id"]}


def on_assignment(user: Listener, data: Any, received: float) -> None:
    """Keep what the attendee was told, and mark the round's assignment as received."""
    if not isinstance(data, dict):
        return
    mates = data.get("tablemates") or []
    user.kind_data.setdefault(TYPE, []).append(
        {
            "cafe_id": data.get("cafe_id"),
            "round": data.get("round"),
            "table": data.get("table"),
            "mates": [m.get("id") for m in mates],
            "orgs": {m.get("id"): m.get("organisation") for m in mates},
            "received": received,
            "ts": data.get("ts"),
        }
    )
    user.received.setdefault(("cafe:assignment", round_key(data)), received)


def on_ended(user: Listener, data: Any, received: float) -> None:
    if isinstance(data, dict):
        user.received.setdefault(("cafe:ended", str(data.get("cafe_id"))), received)


def round_key(data: Mapping[str, Any]) -> str:
    """The expectation key of a round's assignments."""
    return f"{data.get('cafe_id')}:{data.get('round')}"


def collect(attendees: Sequence[Listener]) -> list[dict[str, Any]]:
    """What this Locust process's attendees were told."""
    return [
        {
            "id": a.attendee_id,
            "org": a.identity.get("organisation"),
            "assignments": a.kind_data.get(TYPE, []),
        }
        for a in attendees
        if a.attendee_id is not None
    ]


# -- the presenter's verbs ----------------------------------------------------------------
def create(staff: Staff, spec: ActivitySpec) -> Activity:
    cafe = spec_of(spec, CafeSpec, "café")
    activity, _ = created(staff, cafe, "cafe:create", "cafe")
    staff.entry(activity).update(kind="cafe", tables=cafe.tables, rounds=[])
    return activity


def start(staff: Staff, activity: Activity) -> dict[str, Any]:
    """On stage: every connected attendee receives ``cafe:started`` (and joins)."""
    return announced(staff, "cafe:start", {"cafe_id": activity.id}, "cafe:started", activity.id)


def joined(staff: Staff, activity: Activity) -> int:
    """How many attendees have joined the café (the presenter's view)."""
    ack, _ = staff.request("state:get", {})
    shown = (ack["state"].get("activity") or {}).get("cafe") or {}
    if shown.get("id") != activity.id:
        raise ScenarioError(f"the café {activity.id} is not on stage")
    return int(ack["state"]["activity"].get("joined", 0))


def wait_joined(staff: Staff, activity: Activity, count: int, timeout_s: float) -> dict[str, Any]:
    """Wait until ``count`` attendees have joined (asking every half second)."""
    deadline = time.monotonic() + timeout_s
    now = joined(staff, activity)
    while now < count and time.monotonic() < deadline:
        gevent.sleep(0.5)
        now = joined(staff, activity)
    if now < count:
        raise ScenarioError(f"{now}/{count} attendees joined the café after {timeout_s:.0f} s")
    return {"ok": True, "joined": now}


def next_round(staff: Staff, activity: Activity, number: int) -> dict[str, Any]:
    """Start round ``number``: every attendee connected then must get its assignment."""
    ack, sent = staff.request("cafe:round", {"cafe_id": activity.id, "round": number})
    if ack.get("duplicate") or ack.get("round") != number:
        raise ScenarioError(f"round {number} did not start: {ack.get('round')}")
    staff.entry(activity)["rounds"].append(
        {
            "round": number,
            "sent": sent,
            "tables": [t["members"] for t in ack["tables"]],
            "stats": ack["stats"],
        }
    )
    staff.expect("cafe:assignment", f"{activity.id}:{number}", sent)
    return ack


def end(staff: Staff, activity: Activity) -> dict[str, Any]:
    """End the café; the tally is who joined (server = acked joins = export)."""
    total = joined(staff, activity)
    staff.entry(activity)["results"] = {"total": total, "counts": {"joined": total}}
    return announced(staff, "cafe:end", {"cafe_id": activity.id}, "cafe:ended", activity.id)


# -- the checks, on the master ------------------------------------------------------------
def line(name: str, target: str, actual: Any, ok: bool) -> dict[str, Any]:
    return {"name": name, "target": target, "actual": actual, "ok": bool(ok)}


def check(entries: list[dict[str, Any]], collected: list[Any]) -> list[dict[str, Any]]:
    people = [p for worker in collected for p in worker]
    out: list[dict[str, Any]] = []
    for entry in entries:
        out += check_cafe(entry, people)
    return out


def check_cafe(entry: dict[str, Any], people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cafe_id = entry["id"]
    told: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for person in people:
        for a in person["assignments"]:
            if a["cafe_id"] == cafe_id:
                told[(person["id"], a["round"])].append(a)
    rounds = entry.get("rounds", [])
    counts: Counter[str] = Counter()
    disagree: list[str] = []
    stats_off: list[str] = []
    timing: list[str] = []
    earlier: set[frozenset[str]] = set()
    for r in rounds:
        number, tables = r["round"], r["tables"]
        seated = {m for t in tables for m in t}
        mine = {p: told.get((p, number), []) for p in seated}
        counts["seated"] += len(seated)
        counts["missing"] += sum(1 for got in mine.values() if not got)
        counts["extra"] += sum(len(got) - 1 for got in mine.values() if len(got) > 1)
        counts["unseated told"] += sum(1 for (p, n) in told if n == number and p not in seated)
        received = {p: got[0] for p, got in mine.items() if got}
        disagree += _disagreements(number, tables, received)
        stats_off += _stats_check(number, r["stats"], received, earlier)
        earlier |= _pairs(_tables_told(received))
        if received:
            last = max(a["received"] for a in received.values())
            ts = min(a["ts"] for a in received.values() if a["ts"] is not None)
            timing.append(
                f"round {number}: {(last - r['sent']) / 1000:.2f} s "
                f"(from the server's start {(last - ts) / 1000:.2f} s)"
            )
    once = counts["missing"] == counts["extra"] == counts["unseated told"] == 0
    return [
        line(
            "café: one assignment per round each",
            "every seated attendee, once",
            f"{len(rounds)} rounds, {counts['seated']} seats: {counts['missing']} missing, "
            f"{counts['extra']} extra, {counts['unseated told']} to people not seated",
            once and bool(rounds) and counts["seated"] > 0,
        ),
        line(
            "café: tablemates agree (A lists B, B lists A, same table as the ack)",
            "0 disagreements",
            f"{len(disagree)}" + (f" (first: {disagree[0]})" if disagree else ""),
            not disagree and bool(rounds),
        ),
        line(
            "café: the ack's stats match what attendees received",
            "every round",
            "; ".join(stats_off) or "all match",
            not stats_off and bool(rounds),
        ),
        line(
            "café: round start to last delivery",
            "reported",
            "; ".join(timing) or "no round",
            bool(timing),
        ),
    ]


def _disagreements(
    number: int, tables: list[list[str]], received: Mapping[str, dict[str, Any]]
) -> list[str]:
    found = []
    table_of = {m: k + 1 for k, t in enumerate(tables) for m in t}
    for person, a in received.items():
        if a["table"] != table_of[person]:
            found.append(f"round {number}: {person} told table {a['table']}")
        if set(a["mates"]) != set(tables[table_of[person] - 1]) - {person}:
            found.append(f"round {number}: {person}'s tablemates differ from the ack")
        for mate in a["mates"]:
            theirs = received.get(mate)
            if theirs is None or person not in theirs["mates"] or theirs["table"] != a["table"]:
                found.append(f"round {number}: {person} lists {mate}, not the other way")
    return found


def _tables_told(received: Mapping[str, dict[str, Any]]) -> list[list[str]]:
    tables: dict[Any, set[str]] = defaultdict(set)
    for person, a in received.items():
        tables[a["table"]].update([person, *a["mates"]])
    return [sorted(t) for t in tables.values()]


def _pairs(tables: Iterable[Sequence[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for t in tables for p in itertools.combinations(t, 2)}


def _stats_check(
    number: int,
    stats: Mapping[str, int],
    received: Mapping[str, dict[str, Any]],
    earlier: set[frozenset[str]],
) -> list[str]:
    """The ack's stats against the tables as attendees were told them."""
    tables = _tables_told(received)
    orgs: dict[str, Any] = {}
    for a in received.values():
        orgs.update(a["orgs"])
    same_org = sum(
        1
        for t in tables
        for x, y in itertools.combinations(t, 2)
        if orgs.get(x) and orgs.get(x) == orgs.get(y)
    )
    sizes = [len(t) for t in tables] or [0]
    seen = {
        "repeat_pairs": len(_pairs(tables) & earlier),
        "same_org_pairs": same_org,
        "min_size": min(sizes),
        "max_size": max(sizes),
    }
    return [
        f"round {number}: {k} ack {stats.get(k)}, received {v}"
        for k, v in seen.items()
        if stats.get(k) != v
    ]


CAFE = kinds.register(
    Kind(
        type=TYPE,
        key="cafe",
        id_field="cafe_id",
        # Only the start: rounds change the café's state_seq without a message to every
        # attendee, so later messages would look like gaps.
        broadcasts=("cafe:started",),
        opened="cafe:started",
        results="cafe:round",
        answer_event="cafe:join",
        answer=answer,
        stored=lambda ack: ack.get("joined"),
        counted_keys=lambda joined: ["joined"] if joined else [],
        create=create,
        verbs={
            "start": start,
            "wait_joined": wait_joined,
            "round": next_round,
            "end": end,
        },
        export_key="cafes",
        export_answers=lambda item: (item.get("joined"), item.get("joined")),
        attendee_handlers={"cafe:assignment": on_assignment, "cafe:ended": on_ended},
        collect=collect,
        check=check,
    )
)


# -- the scenario -------------------------------------------------------------------------
@dataclass(frozen=True)
class CafeRounds(Scenario):
    """All attendees join the event, then the café comes on stage; everyone joins it
    within the vote window, and the presenter starts its rounds one after the other,
    leaving ``round_gap_s`` between them for the assignments to arrive."""

    round_gap_s: float = 5.0

    def time_limit_s(self, users: int) -> float:
        rounds = sum(s.rounds for s in self.activities if isinstance(s, CafeSpec))
        return super().time_limit_s(users) + rounds * (self.round_gap_s + 30.0)

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.activities:
            if not isinstance(spec, CafeSpec):
                raise ScenarioError(f"not a café: {spec!r}")
            tables = spec.tables or max(1, round(d.attendees_expected / PEOPLE_PER_TABLE))
            activity = d.create(dataclasses.replace(spec, tables=tables))
            d.act(activity, "start")
            d.mark(f"{TYPE} opened")
            timeout = self.vote_window_s + 30.0
            d.act(activity, "wait_joined", count=d.attendees_expected, timeout_s=timeout)
            d.mark(f"{d.attendees_expected} joined the café")
            for number in range(1, spec.rounds + 1):
                d.act(activity, "round", number=number)
                d.mark(f"round {number} started")
                d.sleep(self.round_gap_s)
            d.act(activity, "end")
            d.mark(f"{TYPE} closed")


scenarios.register(
    CafeRounds(
        name="cafe_rounds",
        summary="all attendees join (50/s); a world café comes on stage (about 9.6 people "
        "a table: 104 tables for 1,000) and everyone joins it within 10 s; 4 rounds start "
        "5 s apart; every attendee must receive exactly one assignment a round, tablemates "
        "must agree, the ack's stats must match what was received",
        activities=(CafeSpec(),),
    ),
)
