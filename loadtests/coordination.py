"""Coordination between the one presenter and the attendees on every Locust process.

Locust may run users in several processes (``--processes``) or on several machines
(``--master``/``--worker``); the presenter lives in one of them. They talk through
Locust's custom messages, always through the master:

* worker -> master (``plenary:up``): ``expect`` (a broadcast every connected attendee
  must receive), ``command`` (e.g. drop your connection), ``finished`` (the presenter's
  report) and ``report`` (a worker's counts, after ``collect``);
* master -> workers (``plenary:down``): ``expect``, ``command`` and ``collect``.

A :class:`~locust.runners.LocalRunner` (no separate workers) plays both sides.

When the presenter finishes, the master asks every worker to ``collect``: each worker
checks its attendees against the expectations (an expected broadcast that did not arrive
before its deadline is a ``MISSED`` failure), then sends its counts (acked answers per
activity and counting key, ack errors, joins). The master writes everything to
``plenary_results.json`` in the output directory and lets the shape end the test.

With rooms, every expectation names the ``room`` of its activity: only the attendees in
that room from its sending to its deadline must receive it, and every activity message an
attendee received must be of an activity of a room it was in (:func:`check_rooms`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import gevent
import gevent.event
from locust.env import Environment
from locust.runners import LocalRunner, MasterRunner, WorkerRunner

from loadtests import catalog, names
from loadtests.scenarios import MAIN_ROOM

log = logging.getLogger("plenary.loadtest")

COLLECT_TIMEOUT_S = 60.0
#: a worker sends its statistics every 3 s: wait that long before stopping the test
STATS_FLUSH_S = 3.5


def now_ms() -> float:
    """Wall-clock time in epoch milliseconds (the server's ``ts`` uses the same clock)."""
    return time.time() * 1000.0


class Tracked(Protocol):
    """What an attendee user exposes for the expectation check."""

    attendee_id: str | None
    #: connection intervals [welcome received at, dropped at or None], epoch ms
    intervals: list[list[float | None]]
    #: (event, key) -> first receipt time, epoch ms
    received: dict[tuple[str, str], float]


@dataclass
class ProcessState:
    """Everything this Locust process knows about its attendees (reset per test)."""

    attendees: list[Tracked] = field(default_factory=list)
    expectations: list[dict[str, Any]] = field(default_factory=list)
    #: activity id -> attendee id -> the keys its current (acked) answer is counted under
    votes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    #: epoch second -> entry group -> rounded response time -> count (for the plots)
    series: dict[int, dict[str, Counter[int]]] = field(default_factory=dict)
    #: a few concrete failures, with attendee ids (see :func:`example`)
    examples: list[str] = field(default_factory=list)
    #: gevent loop lag samples: rounded ms -> count (see _watch_loop_lag)
    loop_lag: Counter[int] = field(default_factory=Counter)
    #: command kind -> handler(data), installed by the attendee class
    command_handlers: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    #: the room ids of the event's programme, main first (the ``programme`` command)
    programme: list[str] = field(default_factory=list)
    programme_ready: gevent.event.Event = field(default_factory=gevent.event.Event)

    def record_vote(self, activity_id: str, attendee_id: str, keys: list[str]) -> None:
        """An ok ack (new or duplicate) for ``attendee_id``: its answer is stored, counted
        under ``keys`` (its kind's ``counted_keys``)."""
        self.votes.setdefault(activity_id, {})[attendee_id] = keys


STATE = ProcessState()
#: set on the master when the scenario is over and the results are written
DONE = gevent.event.Event()
_master: dict[str, Any] = {"presenter": None, "reports": [], "expectations": [], "commands": []}


def reset() -> None:
    """Forget everything (a new test starts)."""
    STATE.attendees.clear()
    STATE.expectations.clear()
    STATE.votes.clear()
    STATE.counters.clear()
    STATE.series.clear()
    STATE.loop_lag.clear()
    STATE.examples.clear()
    STATE.programme.clear()
    STATE.programme_ready.clear()
    DONE.clear()
    _master.update(presenter=None, reports=[], expectations=[], commands=[])


def install(environment: Environment) -> None:
    """Register the message handlers on this process's runner."""
    runner = environment.runner
    if isinstance(runner, MasterRunner | LocalRunner):
        runner.register_message(names.UP, _on_up)
    if isinstance(runner, WorkerRunner | LocalRunner):
        runner.register_message(names.DOWN, _on_down)
        environment.events.request.add_listener(_record)
        gevent.spawn(_watch_loop_lag)


LAG_INTERVAL_S = 0.1
MAX_WATCH_S = 12 * 3600.0


def _watch_loop_lag() -> None:
    """How late this process's gevent loop wakes a greenlet: when the load generator is
    starved of CPU, every latency it measures includes this delay. Runs for the life of
    the process (at most 12 h; gevent drops it when the process exits)."""
    end = time.monotonic() + MAX_WATCH_S
    while time.monotonic() < end:
        before = time.monotonic()
        gevent.sleep(LAG_INTERVAL_S)
        lag_ms = (time.monotonic() - before - LAG_INTERVAL_S) * 1000
        STATE.loop_lag[rounded(max(0.0, lag_ms))] += 1
        _histogram(int(time.time()), "LAG loop")[rounded(max(0.0, lag_ms))] += 1
        if lag_ms > 1000 and STATE.counters["long_stalls"] < 20:
            STATE.counters["long_stalls"] += 1
            log.warning("this Locust process's event loop stalled for %.1f s", lag_ms / 1000)


def rounded(ms: float) -> int:
    """Locust's rounding of response times (exact < 100 ms, then 10 ms, then 100 ms)."""
    value = round(ms)
    if value < 100:
        return int(value)
    if value < 1000:
        return int(round(value, -1))
    return int(round(value, -2))


def _record(
    request_type: str, name: str, response_time: float, exception: Any = None, **_: Any
) -> None:
    """Per-second histograms of every measurement, by the time it was taken."""
    group = f"{request_type} {name}" if exception is None else "failures"
    _histogram(int(time.time()), group)[rounded(response_time or 0)] += 1


def _histogram(second: int, group: str) -> Counter[int]:
    groups = STATE.series.get(second)
    if groups is None:
        groups = STATE.series[second] = {}
    histogram = groups.get(group)
    if histogram is None:
        histogram = groups[group] = Counter()
    return histogram


def publish(environment: Environment, kind: str, **data: Any) -> None:
    """Send a message to the master (from the presenter's or any worker's process)."""
    assert environment.runner is not None
    environment.runner.send_message(names.UP, {"kind": kind, **data})


def _down(environment: Environment, kind: str, **data: Any) -> None:
    runner = environment.runner
    if isinstance(runner, LocalRunner | MasterRunner):
        runner.send_message(names.DOWN, {"kind": kind, **data})


# -- master side ------------------------------------------------------------------
def _on_up(environment: Environment, msg: Any, **_: Any) -> None:
    data = dict(msg.data)
    kind = data.pop("kind")
    if kind == "expect":
        _master["expectations"].append(data)
        _down(environment, "expect", **data)
    elif kind == "command":
        _master["commands"].append(data)
        _down(environment, "command", **data)
    elif kind == "report":
        _master["reports"].append(data)
    elif kind == "finished":
        _master["presenter"] = data
        gevent.spawn(_collect, environment)
    else:
        log.warning("unknown message %r", kind)


def _collect(environment: Environment) -> None:
    """Ask every worker for its counts, write the results file, end the test."""
    runner = environment.runner
    assert runner is not None
    expected = max(1, int(runner.worker_count))
    log.info("scenario finished; collecting results from %d Locust worker(s)", expected)
    _down(environment, "collect")
    deadline = time.monotonic() + COLLECT_TIMEOUT_S
    while len(_master["reports"]) < expected and time.monotonic() < deadline:
        gevent.sleep(0.1)
    check_tallies(environment)
    kind_checks = check_kinds(environment)
    out = Path(getattr(environment.parsed_options, "plenary_out", None) or ".")
    out.mkdir(parents=True, exist_ok=True)
    results = {
        "presenter": _master["presenter"],
        "workers": _master["reports"],
        "workers_expected": expected,
        "expectations": _master["expectations"],
        "commands": _master["commands"],
        "kind_checks": kind_checks,
        "written_at": now_ms(),
    }
    (out / names.RESULTS_FILE).write_text(json.dumps(results, indent=1))
    log.info(
        "results from %d/%d worker(s) written to %s",
        len(_master["reports"]),
        expected,
        out / names.RESULTS_FILE,
    )
    if isinstance(runner, MasterRunner):
        gevent.sleep(STATS_FLUSH_S)  # let the workers' last statistics arrive
    DONE.set()


def check_tallies(environment: Environment) -> None:
    """A Locust ``CHECK exact tally`` entry per closed activity: the server's final tally
    (the presenter's close ack) must equal the acked answers summed over every worker, in
    total and key by key. (The runner also compares them with the export.)"""
    presenter = _master["presenter"] or {}
    for activity in presenter.get("activities", []):
        results = activity.get("results")
        if not results:
            continue
        voters = 0
        counts: Counter[str] = Counter()
        for report in _master["reports"]:
            votes = report.get("votes", {}).get(activity["id"], {})
            voters += int(votes.get("voters", 0))
            counts.update({k: int(v) for k, v in votes.get("counts", {}).items()})
        server = {k: v for k, v in results.get("counts", {}).items() if isinstance(v, int)}
        exact = results.get("total") == voters and all(
            counts.get(k, 0) == v for k, v in server.items()
        )
        environment.events.request.fire(
            request_type=names.CHECK,
            name="exact tally",
            response_time=0,
            response_length=0,
            exception=None
            if exact
            else RuntimeError(
                f"{activity['type']} {activity['id']}: server total {results.get('total')}, "
                f"acked {voters}"
            ),
            context={},
        )
        log.info(
            "%s %s: server tally %s, acked answers %s: %s",
            activity["type"],
            activity["id"],
            results.get("total"),
            voters,
            "exact" if exact else "MISMATCH",
        )


def check_kinds(environment: Environment) -> list[dict[str, Any]]:
    """Each kind's own checks (:attr:`loadtests.kinds.Kind.check`) over the presenter's
    entries of its activities and what every worker collected; a Locust ``CHECK`` entry
    per line, failed when the line is not ok. Returns the lines."""
    presenter = _master["presenter"] or {}
    lines: list[dict[str, Any]] = []
    for kind in catalog.all_kinds():
        entries = [a for a in presenter.get("activities", []) if a.get("type") == kind.type]
        if kind.check is None or not entries:
            continue
        collected = [r.get("kinds", {}).get(kind.type) for r in _master["reports"]]
        try:
            found = kind.check(entries, [c for c in collected if c is not None])
        except Exception as exc:  # a broken check is a failed check, not a hung test
            log.exception("the %s check crashed", kind.type)
            found = [
                {"name": f"{kind.type} checks", "target": "run", "actual": repr(exc), "ok": False}
            ]
        for line in found:
            environment.events.request.fire(
                request_type=names.CHECK,
                name=line["name"],
                response_time=0,
                response_length=0,
                exception=None if line["ok"] else RuntimeError(str(line["actual"])[:300]),
                context={},
            )
            log.info("%s: %s (%s)", line["name"], line["actual"], "ok" if line["ok"] else "FAILED")
        lines += found
    return lines


# -- worker side ------------------------------------------------------------------
def _on_down(environment: Environment, msg: Any, **_: Any) -> None:
    data = dict(msg.data)
    kind = data.pop("kind")
    if kind == "expect":
        STATE.expectations.append(data)
    elif kind == "command":
        handler = STATE.command_handlers.get(data["command"])
        if handler is None:
            log.warning("no handler for command %r", data["command"])
        else:
            handler(data)
    elif kind == "collect":
        gevent.spawn(_report, environment)


def _report(environment: Environment) -> None:
    """Wait for pending expectations (never past their deadlines), check, report."""
    _wait_for_expectations()
    missed = check_expectations(environment)
    isolation = check_rooms(environment)
    votes = {
        activity_id: {
            "voters": len(by_attendee),
            "counts": dict(Counter(k for keys in by_attendee.values() for k in keys)),
        }
        for activity_id, by_attendee in STATE.votes.items()
    }
    runner = environment.runner
    report = {
        "worker": getattr(runner, "worker_index", 0),
        "pid": os.getpid(),
        "attendees": len(STATE.attendees),
        "joined": sum(1 for a in STATE.attendees if a.intervals),
        "votes": votes,
        "missed": missed,
        "isolation": isolation,
        "kinds": {
            kind.type: kind.collect(STATE.attendees)
            for kind in catalog.all_kinds()
            if kind.collect is not None
        },
        "counters": dict(STATE.counters),
        "loop_lag": dict(STATE.loop_lag),
        "examples": STATE.examples[:MAX_EXAMPLES],
        "series": {
            str(second): {group: dict(h) for group, h in groups.items()}
            for second, groups in STATE.series.items()
        },
    }
    publish(environment, "report", **report)


def _wait_for_expectations() -> None:
    if not STATE.expectations:
        return
    last_deadline = max(e["sent_at"] + e["deadline_ms"] for e in STATE.expectations)
    while now_ms() < last_deadline:
        if all(_pending(a, e) is False for a in STATE.attendees for e in STATE.expectations):
            return
        gevent.sleep(0.2)


def _pending(attendee: Tracked, expectation: dict[str, Any]) -> bool:
    """True while an expected broadcast has not arrived and may still arrive in time."""
    key = (expectation["event"], expectation["key"])
    if key in attendee.received:
        return False
    return _eligible(attendee, expectation) is True


def _eligible(attendee: Tracked, expectation: dict[str, Any]) -> bool | None:
    """True: connected (and in the expectation's ``room``, if it names one) when it was
    sent and through its deadline (must receive it). None: connected when sent but
    dropped, or moving between rooms, before the deadline (exempt: its next welcome, or
    its ``room:enter`` ack, carries the state). False: not connected, or in another
    room, when it was sent."""
    sent = float(expectation["sent_at"])
    deadline = sent + float(expectation["deadline_ms"])
    connected: bool | None = False
    for start, end in attendee.intervals:
        assert start is not None
        if start <= sent and (end is None or end >= sent):
            connected = True if end is None or end >= deadline else None
            break
    room = expectation.get("room")
    if room is None or connected is False:
        return connected
    inside = _in_room(_rooms_log(attendee), str(room), sent, deadline)
    if inside is False:
        return False
    return None if inside is None else connected


def _rooms_log(attendee: Any) -> list[tuple[float, frozenset[str]]]:
    """When the rooms an attendee may hear from changed (an attendee that knows nothing
    of rooms is in the main room)."""
    return getattr(attendee, "rooms_log", None) or [(0.0, frozenset({MAIN_ROOM}))]


def _in_room(
    log_: list[tuple[float, frozenset[str]]], room: str, sent: float, deadline: float
) -> bool | None:
    """True: only in ``room`` from ``sent`` through ``deadline``. False: not in it at
    ``sent``. None: moving in or out meanwhile."""
    at_sent = log_[0][1]
    for when, rooms in log_:
        if when <= sent:
            at_sent = rooms
    if room not in at_sent:
        return False
    if at_sent != {room}:
        return None
    if any(sent < when <= deadline and rooms != {room} for when, rooms in log_):
        return None
    return True


def check_rooms(environment: Environment) -> dict[str, Any] | None:
    """With rooms (expectations that name one): every activity message an attendee
    received must be about an activity of a room it was in when it arrived (the
    expectations tell each activity's room). A ``CHECK`` entry per attendee that heard
    any, failed when one did not; None without rooms."""
    where = {str(e["key"]): str(e["room"]) for e in STATE.expectations if "room" in e}
    if not where:
        return None
    checked = messages = foreign = unknown = 0
    for attendee in STATE.attendees:
        heard: set[tuple[str, frozenset[str]]] = getattr(attendee, "heard", set())
        messages += int(getattr(attendee, "heard_count", 0))
        if not heard:
            continue
        checked += 1
        wrong = [(a, rooms) for a, rooms in heard if where.get(a) not in rooms]
        foreign += sum(1 for a, _ in wrong if a in where)
        unknown += sum(1 for a, _ in wrong if a not in where)
        for activity_id, rooms in wrong[:1]:
            example(
                f"attendee {attendee.attendee_id} in {'/'.join(sorted(rooms))} got a message of "
                f"activity {activity_id} of room {where.get(activity_id, '(unknown)')}"
            )
        environment.events.request.fire(
            request_type=names.CHECK,
            name="only my room's activities",
            response_time=0,
            response_length=0,
            exception=RuntimeError("received a message of another room's activity")
            if wrong
            else None,
            context={},
        )
    return {
        "attendees_checked": checked,
        "messages": messages,
        "activities": len(where),
        "rooms": len(set(where.values())),
        "foreign": foreign,
        "unknown": unknown,
    }


MAX_EXAMPLES = 20


def example(text: str) -> None:
    """Keep a few concrete cases (with attendee ids) for the report."""
    if len(STATE.examples) < MAX_EXAMPLES:
        STATE.examples.append(text)


def check_expectations(environment: Environment) -> dict[str, Any]:
    """Fire a ``MISSED`` failure for every expected broadcast an attendee did not get
    before its deadline; return the counts."""
    missed: Counter[str] = Counter()
    late: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    checked = exempt = 0
    for expectation in STATE.expectations:
        event = expectation["event"]
        deadline = float(expectation["sent_at"]) + float(expectation["deadline_ms"])
        for attendee in STATE.attendees:
            eligible = _eligible(attendee, expectation)
            key = (event, expectation["key"])
            received = attendee.received.get(key)
            if eligible is None:
                # Dropped or moved to another room before the deadline: exempt, unless
                # it had received the broadcast by then (a delivery like any other).
                if received is None or received > deadline:
                    exempt += 1
                    continue
            elif not eligible:
                continue
            checked += 1
            if received is not None and received <= deadline:
                if "total" in expectation:
                    shown = getattr(attendee, "values", {}).get(key, {})
                    if shown.get("total") != expectation["total"]:
                        wrong[event] += 1
                        example(
                            f"attendee {attendee.attendee_id}: final total {shown.get('total')}, "
                            f"close tally {expectation['total']}"
                        )
                        environment.events.request.fire(
                            request_type=names.CHECK,
                            name="final results match the close tally",
                            response_time=0,
                            response_length=0,
                            exception=RuntimeError("final total differs from the close tally"),
                            context={},
                        )
                continue
            limit = f"{expectation['deadline_ms'] / 1000:g} s"
            if received is None:
                missed[event] += 1
                problem = f"not received within {limit}"
                example(f"attendee {attendee.attendee_id}: {event} never received")
            else:
                late[event] += 1
                problem = f"received after the {limit} deadline"
                example(
                    f"attendee {attendee.attendee_id}: {event} received "
                    f"{(received - deadline) / 1000:.1f} s after its deadline"
                )
            # One message per kind of problem, so Locust's error table aggregates them.
            environment.events.request.fire(
                request_type=names.MISSED,
                name=event,
                response_time=0,
                response_length=0,
                exception=RuntimeError(problem),
                context={},
            )
    return {
        "checked": checked,
        "exempt": exempt,
        "missed": dict(missed),
        "late": dict(late),
        "wrong": dict(wrong),
        "total": sum(missed.values()) + sum(late.values()),
    }
