"""Named load-test scenarios. Each one is a presenter script (what the single presenter
user does, step by step) plus the knobs attendees read (how fast they join, how soon
they answer, whether they drop and come back).

Adding a scenario: subclass :class:`Scenario`, write :meth:`Scenario.run` against the
:class:`Director` interface (the presenter's verbs), and register an instance in
:data:`SCENARIOS`. Attendees already answer whatever activity goes live; a new kind of
activity (quiz, world cafe, pitch vote) also needs an answerer in ``loadtests.answers``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol


class ScenarioError(RuntimeError):
    """The scenario cannot go on (an error ack, attendees missing, a timeout)."""


@dataclass(frozen=True)
class PollSpec:
    """A poll the presenter creates."""

    question: str
    kind: str = "single"
    options: tuple[str, ...] | None = ("Europe", "Americas", "Africa", "Asia-Pacific")
    scale: int | None = None

    def payload(self) -> dict[str, Any]:
        """The ``poll:create`` payload."""
        body: dict[str, Any] = {"question": self.question, "kind": self.kind}
        if self.options is not None:
            body["options"] = list(self.options)
        if self.scale is not None:
            body["scale"] = self.scale
        return body


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

    def create_poll(self, spec: PollSpec) -> str:
        """``poll:create``; returns the poll id."""
        ...

    def open_poll(self, poll_id: str) -> None:
        """``poll:open``; every connected attendee must then receive ``poll:opened``."""
        ...

    def reveal_poll(self, poll_id: str) -> None:
        """``poll:reveal``: results stream to everyone from now on."""
        ...

    def wait_for_answers(self, poll_id: str, count: int, timeout_s: float) -> int:
        """Wait until the live results show ``count`` answers; returns the last total."""
        ...

    def close_poll(self, poll_id: str) -> dict[str, Any]:
        """``poll:close``; returns the server's final results (the exact tally)."""
        ...

    def command_attendees(self, kind: str, **data: Any) -> None:
        """Tell every attendee (on every Locust worker) to do something, e.g. drop."""
        ...

    def mark(self, what: str) -> None:
        """Put a named marker on the run's timeline (shown in the plots)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait (cooperatively, under gevent)."""
        ...


@dataclass(frozen=True)
class Scenario:
    """Base class: a name, the attendee knobs and the presenter script."""

    name: str = "base"
    summary: str = ""
    #: attendee joins per second (the Locust spawn rate), or None to use join_window_s
    join_rate: float | None = 50.0
    #: when join_rate is None: every attendee joins within this many seconds
    join_window_s: float = 10.0
    #: attendees answer at a uniformly random moment within this window after a poll opens
    vote_window_s: float = 10.0
    #: after a reconnect, re-send the last vote with the same vote_id (must be a duplicate)
    revote_after_resume: bool = False
    #: extra seconds the scenario may need beyond joining and voting (for the time limit)
    extra_s: float = 30.0
    polls: tuple[PollSpec, ...] = field(
        default=(PollSpec("Where are you joining from?"),),
    )

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
        per_poll = self.vote_window_s + 30.0
        return self.join_time_s(users) * 1.5 + 60.0 + per_poll * len(self.polls) + self.extra_s

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

    def live_poll(self, d: Director, spec: PollSpec, hold_s: float = 1.0) -> dict[str, Any]:
        """Create, open and reveal a poll (results stream to everyone), wait for every
        attendee's answer, let results stream ``hold_s`` more, close it."""
        poll_id = d.create_poll(spec)
        d.open_poll(poll_id)
        d.reveal_poll(poll_id)
        d.mark("poll opened")
        d.wait_for_answers(poll_id, d.attendees_expected, self.vote_window_s + 20.0)
        d.sleep(hold_s)
        results = d.close_poll(poll_id)
        d.mark("poll closed")
        return results


@dataclass(frozen=True)
class PlenaryPoll(Scenario):
    """All attendees join, a poll opens, everyone votes within ~10 s while results
    stream to everyone, the poll closes."""

    name: str = "plenary_poll"
    summary: str = (
        "all attendees join (50/s), a poll opens and is revealed so results stream to "
        "everyone, every attendee votes within 10 s, the poll closes"
    )

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.polls:
            self.live_poll(d, spec)


@dataclass(frozen=True)
class PlenaryPollScreen(Scenario):
    """As :class:`PlenaryPoll`, but live results go to the presenter and big screens
    only; attendees see the results when the presenter reveals them after closing."""

    name: str = "plenary_poll_screen"
    summary: str = (
        "as plenary_poll, but live results stream to the presenter and big screens only; "
        "attendees get the results when the poll is closed and revealed"
    )

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.polls:
            poll_id = d.create_poll(spec)
            d.open_poll(poll_id)
            d.mark("poll opened")
            d.wait_for_answers(poll_id, d.attendees_expected, self.vote_window_s + 20.0)
            d.sleep(1.0)
            d.close_poll(poll_id)
            d.reveal_poll(poll_id)
            d.mark("poll closed and revealed")


@dataclass(frozen=True)
class VoteBurst(Scenario):
    """Everyone votes within 1 s."""

    name: str = "vote_burst"
    summary: str = "all attendees join (50/s), a poll opens, every attendee votes within 1 s"
    vote_window_s: float = 1.0

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.polls:
            self.live_poll(d, spec)


@dataclass(frozen=True)
class JoinStorm(Scenario):
    """Everyone joins within 10 s, then a short poll proves every attendee is live."""

    name: str = "join_storm"
    summary: str = (
        "all attendees join within 10 s (1,000 joins at 100/s), then a short poll "
        "(votes within 3 s) proves every connection is live"
    )
    join_rate: float | None = None
    join_window_s: float = 10.0
    vote_window_s: float = 3.0

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.polls:
            self.live_poll(d, spec)


@dataclass(frozen=True)
class ReconnectStorm(Scenario):
    """Everyone votes, then every attendee drops its connection and comes back within
    5 s with its resume token: same identity, same answer, and a retried vote (same
    vote_id) counts once. Then the poll closes."""

    name: str = "reconnect_storm"
    summary: str = (
        "all attendees join and vote (10 s), then every attendee's connection drops "
        "abruptly within 2 s and reconnects after 0.5-1.5 s with its resume token "
        "(back within 5 s), checks its identity and answer, retries its vote with the "
        "same vote_id (must count once); then the poll closes"
    )
    revote_after_resume: bool = True
    drop_window_s: float = 2.0
    reconnect_delay_s: tuple[float, float] = (0.5, 1.5)
    back_within_s: float = 5.0
    extra_s: float = 60.0

    def run(self, d: Director) -> None:
        self.gather(d)
        spec = self.polls[0]
        poll_id = d.create_poll(spec)
        d.open_poll(poll_id)
        d.reveal_poll(poll_id)
        d.mark("poll opened")
        d.wait_for_answers(poll_id, d.attendees_expected, self.vote_window_s + 20.0)
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
        d.close_poll(poll_id)
        d.mark("poll closed")


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (PlenaryPoll(), PlenaryPollScreen(), VoteBurst(), JoinStorm(), ReconnectStorm())
}


def get(name: str) -> Scenario:
    """The scenario called ``name``."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise ValueError(f"unknown scenario {name!r} (known: {known})") from None
