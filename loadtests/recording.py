"""The users' measurements, handed to Locust's statistics a moment after they are taken.

A broadcast reaches hundreds of one Locust process's users within a few milliseconds.
Each receipt time is taken as its frame is read (:mod:`loadtests.wire`), but logging it
in Locust's statistics (a request event: histogram, percentiles, the web UI's table)
costs more CPU than reading the frame did, and on a machine whose cores the load
generator shares with the server, that CPU would be taken from the server while it is
still writing the same broadcast. So each process keeps the measurements of the last
:data:`DELAY_S` and fires them together once the burst is over; the figures are the same,
they reach Locust's statistics (and its web UI) at most :data:`DELAY_S` later.
"""

from __future__ import annotations

from typing import Any

import gevent
from locust.env import Environment

#: how long a measurement may wait before it reaches Locust's statistics
DELAY_S = 0.05

Entry = tuple[str, str, float, str | None]


class Recorder:
    """One Locust process's pending measurements (request type, name, ms, error)."""

    def __init__(self, environment: Environment) -> None:
        self._environment = environment
        self._pending: list[Entry] = []
        self._flusher: Any = None

    def add(self, request_type: str, name: str, response_time: float, error: str | None) -> None:
        self._pending.append((request_type, name, response_time, error))
        if self._flusher is None:
            self._flusher = gevent.spawn_later(DELAY_S, self.flush)

    def flush(self) -> None:
        """Fire every pending measurement as a Locust request event, now."""
        self._flusher = None
        pending, self._pending = self._pending, []
        fire = self._environment.events.request.fire
        for request_type, name, response_time, error in pending:
            fire(
                request_type=request_type,
                name=name,
                response_time=response_time,
                response_length=0,
                exception=RuntimeError(error) if error else None,
                context={},
            )


_recorders: dict[int, Recorder] = {}


def recorder(environment: Environment) -> Recorder:
    """This process's :class:`Recorder` for ``environment``."""
    found = _recorders.get(id(environment))
    if found is None:
        found = _recorders[id(environment)] = Recorder(environment)
    return found


def flush(environment: Environment) -> None:
    """Fire what is pending (the test is stopping: nothing may stay behind)."""
    found = _recorders.get(id(environment))
    if found is not None:
        found.flush()
