"""What a client may not send, and how much it may send, below the level of events.

Plenary's protocol is text only: a binary frame, a binary Socket.IO packet or one that
announces binary attachments is refused, as is a frame that is not a packet of the
protocol (JSON that does not decode, an unknown packet type). Refused means the
connection is closed (after a Socket.IO DISCONNECT, so that clients do not reconnect on
their own), except for a malformed event that carries an ack id: that one is answered
with a ``bad_request`` ack.

Every frame a client sends (a websocket message or control frame, a packet of a
long-polling request) also takes a token of its connection's frame budget, which exists
from the first frame on, before any Socket.IO CONNECT. The budget is
:data:`FRAME_ALLOWANCE` times the message allowance of ``Limits`` (``events_per_second``,
``events_burst``): a client within its message allowance never comes near it, and one
that keeps sending after ``rate_limited`` acks, or sends frames that are no events at
all, is closed instead of costing CPU for as long as it likes.

Each of these is a client error: counted in ``/metrics``
(``plenary_bad_frames_total{reason}``, ``plenary_connections_closed_total{reason}``) and
logged as a WARNING at most once per connection per :data:`REPORT_INTERVAL_S`, and at
most :data:`LOG_RATE` lines a second for the whole process; a line says how many reports
were left out since the previous one.
"""

from __future__ import annotations

import logging
import math
import time
from enum import StrEnum

from plenary.metrics import Metrics
from plenary.realtime.ratelimit import TokenBucket

log = logging.getLogger(__name__)

#: A connection's frame budget, in multiples of its message allowance: room for pongs,
#: the CONNECT, and clients that retry, far below what a flood sends.
FRAME_ALLOWANCE = 4
#: A connection's reports that do not close it are logged at most once per interval.
REPORT_INTERVAL_S = 60.0
#: Lines a second (in bursts of LOG_BURST) that reports may log in one process: many
#: connections, each closed after one bad frame, must not flood the log either.
LOG_RATE = 1.0
LOG_BURST = 20


class Reason(StrEnum):
    """Why a frame was refused: the ``reason`` label of the metrics."""

    #: a binary frame, a binary Socket.IO packet, or an announcement of attachments
    BINARY = "binary"
    #: not a packet of the protocol: JSON that does not decode, an unknown packet type
    MALFORMED = "malformed"
    #: more frames than the connection's frame budget
    FLOOD = "flood"
    #: a message over max_payload_bytes
    TOO_LARGE = "too_large"


#: The websocket close code (RFC 6455) a connection refused for each reason gets.
CLOSE_CODES = {
    Reason.BINARY: 1003,  # unsupported data
    Reason.MALFORMED: 1008,  # policy violation
    Reason.FLOOD: 1008,
    Reason.TOO_LARGE: 1009,  # message too big
}


class FrameGuard:
    """One connection's frame budget, and when its last report was logged."""

    __slots__ = ("budget", "reported_at")

    def __init__(self, rate: float, burst: float) -> None:
        self.budget = TokenBucket(rate, int(burst))
        self.reported_at = -math.inf

    def take(self) -> bool:
        """One frame: False when it is over the budget."""
        return self.budget.take() == 0.0


class FrameWatch:
    """The server's side: budgets for new connections, metrics and bounded logging."""

    def __init__(self, events_per_second: float = 10.0, events_burst: int = 20) -> None:
        self.rate = FRAME_ALLOWANCE * events_per_second
        self.burst = FRAME_ALLOWANCE * events_burst
        self.metrics: Metrics | None = None
        self._log_budget = TokenBucket(LOG_RATE, LOG_BURST)
        self._unlogged = 0

    def configure(
        self, events_per_second: float, events_burst: int, metrics: Metrics | None
    ) -> None:
        """The message allowance of ``Limits`` the budgets derive from (for connections
        opened from now on), and where to count refused frames."""
        self.rate = FRAME_ALLOWANCE * events_per_second
        self.burst = FRAME_ALLOWANCE * events_burst
        self.metrics = metrics

    def guard(self) -> FrameGuard:
        return FrameGuard(self.rate, self.burst)

    def report(self, guard: FrameGuard, reason: Reason, detail: str, *, closed: bool) -> None:
        """A bad frame: counted, and logged within the limits. ``detail`` says what the
        client sent, in a few words (never the frame itself); ``closed``, whether the
        connection is closed for it (else it was answered with ``bad_request``)."""
        metrics = self.metrics
        if metrics is not None:
            metrics.add(metrics.bad_frames, 1, reason.value)
            if closed:
                metrics.add(metrics.connections_closed, 1, reason.value)
        now = time.monotonic()
        # A connection is closed once; what does not close it is logged once per interval.
        if not closed and now - guard.reported_at < REPORT_INTERVAL_S:
            self._unlogged += 1
            return
        if self._log_budget.take():
            self._unlogged += 1
            return
        guard.reported_at = now
        unlogged, self._unlogged = self._unlogged, 0
        outcome = (
            f"closed the connection (websocket code {CLOSE_CODES[reason]})"
            if closed
            else "answered bad_request"
        )
        more = f"; {unlogged} more not logged since the previous line" if unlogged else ""
        log.warning(
            "client sent %s: %s%s",
            detail,
            outcome,
            more,
            extra={"reason": reason.value, "suppressed": unlogged or None},
        )
