"""The run's parameters as Locust custom arguments (``--plenary-*``). Locust forwards
custom arguments from the master to every worker, so all processes see the same."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from loadtests import catalog
from loadtests.scenarios import Scenario

DEFAULT_DEADLINE_S = 5.0
#: the users' Socket.IO clients (loadtests/connection.py ``CLIENTS``); the first is the default
CLIENT_CHOICES = ("lean", "socketio")


def add_arguments(parser: Any) -> None:
    """Register the custom arguments on Locust's parser (``events.init_command_line_parser``)."""
    group = parser.add_argument_group("Plenary", "Plenary load-test scenario settings")
    group.add_argument(
        "--plenary-urls",
        default="",
        help="comma-separated server base URLs; attendees are spread over them "
        "(default: the --host)",
    )
    group.add_argument("--plenary-event", default="", help="the event's join code")
    group.add_argument("--plenary-key", default="", help="the event's presenter key")
    group.add_argument("--plenary-scenario", default="plenary_poll", help="scenario name")
    group.add_argument(
        "--plenary-users",
        type=int,
        default=0,
        help="users in the test (attendees + the presenter); default: -u",
    )
    group.add_argument("--plenary-vote-window", type=float, default=None, help="seconds")
    group.add_argument("--plenary-join-rate", type=float, default=None, help="joins per second")
    group.add_argument(
        "--plenary-rooms",
        type=int,
        default=None,
        help="breakout rooms, for a scenario with rooms (default: the scenario's)",
    )
    group.add_argument(
        "--plenary-deadline",
        type=float,
        default=DEFAULT_DEADLINE_S,
        help="seconds within which every connected attendee must receive an expected "
        "broadcast (the broadcasts of an activity's state changes, e.g. poll:opened, and "
        "the final results)",
    )
    group.add_argument(
        "--plenary-time-limit", type=float, default=0.0, help="hard limit, seconds (0: auto)"
    )
    group.add_argument("--plenary-out", default=".", help="directory for plenary_*.json")
    group.add_argument(
        "--plenary-client",
        choices=CLIENT_CHOICES,
        default=CLIENT_CHOICES[0],
        help="the users' Socket.IO client: lean (frames read and written on the socket, "
        "receipt time taken as the frame is read) or socketio (python-socketio's client)",
    )
    # Tests only: every user blocks this long in its message handler (a slow generator).
    group.add_argument(
        "--plenary-handler-delay-ms", type=float, default=0.0, help=argparse.SUPPRESS
    )


@dataclass(frozen=True)
class RunSettings:
    """Parsed ``--plenary-*`` arguments."""

    urls: tuple[str, ...]
    event: str
    key: str
    scenario: Scenario
    users: int
    deadline_ms: float
    time_limit_s: float
    out: str
    #: the users' Socket.IO client (:data:`CLIENT_CHOICES`)
    client: str = CLIENT_CHOICES[0]
    #: tests only: seconds each user sleeps in its message handler (a slow generator)
    handler_delay_s: float = 0.0

    @property
    def attendees(self) -> int:
        """Attendee users (all users but the presenter)."""
        return max(0, self.users - 1)


def with_rooms(scenario: Scenario, rooms: int | None) -> Scenario:
    """``scenario`` with ``rooms`` breakout rooms, if it is a scenario with rooms (the
    others keep everyone in the main room)."""
    if rooms is None or not scenario.breakout_rooms:
        return scenario
    if rooms < 1:
        raise ValueError("a scenario with rooms needs at least one breakout room")
    return scenario.with_overrides(breakout_rooms=rooms)


def from_options(options: Any, host: str | None = None) -> RunSettings:
    """Build :class:`RunSettings` from Locust's parsed options."""
    urls = tuple(u.strip().rstrip("/") for u in (options.plenary_urls or "").split(",") if u)
    if not urls and host:
        urls = (host.rstrip("/"),)
    users = int(options.plenary_users or getattr(options, "num_users", 0) or 0)
    scenario = with_rooms(
        catalog.scenario(options.plenary_scenario).with_overrides(
            vote_window_s=options.plenary_vote_window, join_rate=options.plenary_join_rate
        ),
        getattr(options, "plenary_rooms", None),
    )
    limit = float(options.plenary_time_limit or 0) or scenario.time_limit_s(users)
    return RunSettings(
        urls=urls,
        event=options.plenary_event,
        key=options.plenary_key,
        scenario=scenario,
        users=users,
        deadline_ms=float(options.plenary_deadline) * 1000.0,
        time_limit_s=limit,
        out=options.plenary_out,
        client=getattr(options, "plenary_client", CLIENT_CHOICES[0]),
        handler_delay_s=float(getattr(options, "plenary_handler_delay_ms", 0) or 0) / 1000,
    )
