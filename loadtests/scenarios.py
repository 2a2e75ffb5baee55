"""Load-test scenarios. Each one is a presenter script (what the single presenter user
does, step by step) plus the knobs attendees read (how fast they join, how soon they
answer, whether they drop and come back).

This module names no activity kind. A scenario runs the activities it is given
(:attr:`Scenario.activities`, specs of any kind) with the presenter's verbs, which the
kind's module provides (``loadtests/kinds/<kind>.py``: ``create``, then ``open``,
``reveal``, ``close``, ...), and every kind registers its scenarios here with
:func:`register`: the shapes below with its own activities, or a :class:`Scenario`
subclass of its own. Attendees answer whatever activity goes live, with the answerer of
its kind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

#: The room every event has (docs/protocol.md, "Rooms"), and where clients that name no
#: room are.
MAIN_ROOM = "main"


class ScenarioError(RuntimeError):
    """The scenario cannot go on (an error ack, attendees missing, a timeout)."""


class ActivitySpec(Protocol):
    """An activity a scenario creates (e.g. a poll with its question and options)."""

    @property
    def type(self) -> str:
        """The kind (the activity's ``type`` on the wire, e.g. ``"poll"``)."""
        ...


@dataclass(frozen=True)
class Activity:
    """An activity the presenter created: its kind, its id and the room it is in."""

    type: str
    id: str
    room: str = MAIN_ROOM


class Director(Protocol):
    """What a scenario script may ask the presenter to do. Every call is bounded in time
    and raises :class:`ScenarioError` when the server refuses or a wait times out."""

    @property
    def attendees_expected(self) -> int:
        """How many attendees this run spawns (all users but the presenter)."""
        ...

    def wait_for_attendees(self, count: int, timeout_s: float) -> int:
        """Wait until ``count`` attendees are online (server presence); returns the count."""
        ...

    def open_rooms(self, titles: Sequence[str]) -> list[str]:
        """Add a room per title to the event's programme (REST ``POST
        /api/events/{code}/rooms``) and tell every attendee the programme; returns the
        room ids, the main room first. Attendees of a scenario with
        :attr:`Scenario.breakout_rooms` wait for it, then join their room."""
        ...

    def wait_for_rooms(self, wanted: dict[str, int] | None, timeout_s: float) -> dict[str, int]:
        """Wait until the attendees online in each room (server presence,
        ``rooms_online``) are ``wanted`` (None: until every attendee is online, in any
        room); returns the counts per room."""
        ...

    def create(self, spec: ActivitySpec, room: str = MAIN_ROOM) -> Activity:
        """Create the activity in ``room`` with its kind's ``create`` verb."""
        ...

    def act(self, activity: Activity, verb: str, **args: Any) -> dict[str, Any]:
        """Run a presenter verb of the activity's kind (``open``, ``reveal``, ``close``,
        ...) in the activity's room; returns the server's ok ack. The verb publishes the
        broadcasts every connected attendee of that room must then receive."""
        ...

    def act_each(self, activities: Sequence[Activity], verb: str) -> list[dict[str, Any]]:
        """:meth:`act` on every activity at the same time (each room's presenter
        connection sends its own request); returns the acks in order."""
        ...

    def wait_for_answers(self, activity: Activity, count: int, timeout_s: float) -> int:
        """Wait until the live results show ``count`` answers; returns the last total."""
        ...

    def command_attendees(self, kind: str, **data: Any) -> None:
        """Tell every attendee (on every Locust worker) to do something: ``drop`` (the
        connection), ``enter`` (move to ``room`` with ``room:enter``)."""
        ...

    def mark(self, what: str) -> None:
        """Put a named marker on the run's timeline (shown in the plots)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait (cooperatively, under gevent)."""
        ...


@dataclass(frozen=True)
class Scenario:
    """Base class: a name, the attendee knobs, the activities and the presenter script."""

    name: str = "base"
    summary: str = ""
    #: attendee joins per second (the Locust spawn rate), or None to use join_window_s
    join_rate: float | None = 50.0
    #: when join_rate is None: every attendee joins within this many seconds
    join_window_s: float = 10.0
    #: attendees answer at a uniformly random moment within this window after an
    #: activity opens
    vote_window_s: float = 10.0
    #: after a reconnect, re-send the last answer with the same vote_id (must be a duplicate)
    revote_after_resume: bool = False
    #: the share of attendees who change their mind once: a second answer (a new
    #: vote_id) at a random moment within the vote window after the first is acked
    change_share: float = 0.0
    #: extra seconds the scenario may need beyond joining and voting (for the time limit)
    extra_s: float = 30.0
    #: rooms the presenter adds to the programme before anyone joins (0: none, everyone
    #: is in the main room). Attendees then spread over the main room and these rooms,
    #: each naming its room at connect (``auth.room``).
    breakout_rooms: int = 0
    #: what the presenter runs, in order
    activities: tuple[ActivitySpec, ...] = ()

    def spawn_rate(self, users: int) -> float:
        """Locust spawn rate (users per second) for ``users`` users."""
        if self.join_rate is not None:
            return float(self.join_rate)
        return max(1.0, users / self.join_window_s)

    def join_time_s(self, users: int) -> float:
        """Seconds it takes Locust to spawn everyone at :meth:`spawn_rate`."""
        return users / self.spawn_rate(users)

    def time_limit_s(self, users: int) -> float:
        """A hard bound on the whole run: the runner stops Locust after it regardless."""
        per_activity = self.vote_window_s + 30.0
        return (
            self.join_time_s(users) * 1.5
            + 60.0
            + per_activity * len(self.activities)
            + self.extra_s
            + 2.0 * self.breakout_rooms
        )

    def with_overrides(self, **changes: Any) -> Scenario:
        """A copy with some knobs changed (``None`` values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def run(self, d: Director) -> None:
        """The presenter script."""
        raise NotImplementedError

    # Shared steps ------------------------------------------------------------------
    def gather(self, d: Director, users: int | None = None) -> int:
        """Wait for all attendees to be online."""
        expected = d.attendees_expected
        timeout = self.join_time_s(users or expected + 1) * 1.5 + 30.0
        online = d.wait_for_attendees(expected, timeout)
        d.mark(f"{online} online")
        return online

    def wait_for_everyone(self, d: Director, activity: Activity) -> int:
        """Wait for every attendee's answer (the vote window and some slack)."""
        return d.wait_for_answers(activity, d.attendees_expected, self.vote_window_s + 20.0)

    def live_round(self, d: Director, spec: ActivitySpec, hold_s: float = 1.0) -> dict[str, Any]:
        """Create, open and reveal an activity (results stream to everyone), wait for
        every attendee's answer, let results stream ``hold_s`` more, close it; returns
        the close ack."""
        activity = d.create(spec)
        d.act(activity, "open")
        d.act(activity, "reveal")
        d.mark(f"{activity.type} opened")
        self.wait_for_everyone(d, activity)
        d.sleep(hold_s)
        closed = d.act(activity, "close")
        d.mark(f"{activity.type} closed")
        return closed


@dataclass(frozen=True)
class LiveRounds(Scenario):
    """All attendees join; each activity opens and is revealed at once, so live results
    stream to everyone while every attendee answers; then it closes."""

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.activities:
            self.live_round(d, spec)


@dataclass(frozen=True)
class RevealAfterClose(Scenario):
    """As :class:`LiveRounds`, but live results go to the presenter and big screens
    only; attendees see the results when the presenter reveals them after closing."""

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.activities:
            activity = d.create(spec)
            d.act(activity, "open")
            d.mark(f"{activity.type} opened")
            self.wait_for_everyone(d, activity)
            d.sleep(1.0)
            d.act(activity, "close")
            d.act(activity, "reveal")
            d.mark(f"{activity.type} closed and revealed")


@dataclass(frozen=True)
class ReconnectStorm(Scenario):
    """Everyone answers the first activity, then every attendee drops its connection
    and comes back within 5 s with its resume token: same identity, same answer, and a
    retried answer (same vote_id) counts once. Then the activity closes."""

    revote_after_resume: bool = True
    drop_window_s: float = 2.0
    reconnect_delay_s: tuple[float, float] = (0.5, 1.5)
    back_within_s: float = 5.0
    extra_s: float = 60.0

    def run(self, d: Director) -> None:
        self.gather(d)
        activity = d.create(self.activities[0])
        d.act(activity, "open")
        d.act(activity, "reveal")
        d.mark(f"{activity.type} opened")
        self.wait_for_everyone(d, activity)
        d.command_attendees(
            "drop",
            window_s=self.drop_window_s,
            delay_min_s=self.reconnect_delay_s[0],
            delay_max_s=self.reconnect_delay_s[1],
        )
        d.mark("drop")
        # Everyone is back within drop window + max delay; presence lags about 1 s.
        d.sleep(self.drop_window_s + self.reconnect_delay_s[1] + 1.5)
        d.wait_for_attendees(d.attendees_expected, 30.0)
        d.mark("all back")
        d.sleep(1.0)
        d.act(activity, "close")
        d.mark(f"{activity.type} closed")


@dataclass(frozen=True)
class Rooms(Scenario):
    """Parallel rooms, then a plenary. The presenter adds :attr:`breakout_rooms` rooms;
    attendees spread over the main room and those rooms (each names its room at
    connect). The first activity runs in every room at once (one per room, opened and
    revealed together, everyone answers, all closed): exact tallies per room, and no
    attendee may receive a message of another room's activity. Then everyone moves
    back to the main room (``room:enter``) and the second activity runs there for all.
    """

    breakout_rooms: int = 14
    #: attendees move back to the main room at a random moment within this window
    move_window_s: float = 2.0
    extra_s: float = 60.0

    def run(self, d: Director) -> None:
        titles = [f"Breakout {i + 1}" for i in range(self.breakout_rooms)]
        rooms = d.open_rooms(titles)
        d.mark(f"{len(rooms)} rooms in the programme")
        expected = d.attendees_expected
        timeout = self.join_time_s(expected + 1) * 1.5 + 30.0
        online = d.wait_for_rooms(None, timeout)
        d.mark(f"{sum(online.values())} online in {len(online)} rooms")
        parallel, plenary = self.activities[0], self.activities[-1]
        activities = [d.create(parallel, room=room) for room in rooms]
        d.act_each(activities, "open")
        d.act_each(activities, "reveal")
        d.mark(f"{parallel.type} opened")
        for activity in activities:
            # Everyone answers within the same vote window: the waits overlap.
            d.wait_for_answers(activity, online.get(activity.room, 0), self.vote_window_s + 20.0)
        d.sleep(1.0)
        d.act_each(activities, "close")
        d.mark(f"{len(activities)} rooms closed")
        d.command_attendees("enter", room=MAIN_ROOM, window_s=self.move_window_s)
        d.mark("everyone to the main room")
        d.wait_for_rooms({MAIN_ROOM: expected}, self.move_window_s + 30.0)
        d.mark("all in the main room")
        self.live_round(d, plenary)


#: name -> scenario, in the order the kinds registered them (``--scenario all`` runs them
#: in this order). Filled by the kinds' modules: see :mod:`loadtests.catalog`.
SCENARIOS: dict[str, Scenario] = {}


def register(*scenarios: Scenario) -> None:
    """Add scenarios (a kind's module does this when it is imported)."""
    for scenario in scenarios:
        if scenario.name in SCENARIOS:
            raise ValueError(f"two scenarios are called {scenario.name!r}")
        if not scenario.activities:
            raise ValueError(f"scenario {scenario.name!r} has no activities")
        SCENARIOS[scenario.name] = scenario


def get(name: str) -> Scenario:
    """The scenario called ``name`` (once the kinds are loaded: :mod:`loadtests.catalog`)."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise ValueError(f"unknown scenario {name!r} (known: {known})") from None
