"""An outage of something the server depends on (Redis), logged once when it starts and
once when it ends, with its duration: a Redis restart is expected and recovered from by
design, so it is a warning, not a stream of ERROR tracebacks (one per vote, one per
broadcast) while it lasts."""

from __future__ import annotations

import logging
import time


class Outage:
    """Tracks whether ``what`` is reachable. :meth:`failed` on every failed operation,
    :meth:`ok` on every successful one; only the changes are logged."""

    __slots__ = ("_failures", "_log", "_since", "what")

    def __init__(self, what: str, logger: logging.Logger) -> None:
        self.what = what
        self._log = logger
        self._since: float | None = None
        self._failures = 0

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, reason: object) -> None:
        """An operation failed because ``what`` is unreachable."""
        if self._since is None:
            self._since = time.monotonic()
            self._failures = 1
            self._log.warning("%s unreachable (%s); retrying until it is back", self.what, reason)
        else:
            self._failures += 1

    def ok(self) -> float | None:
        """An operation succeeded. Returns the outage's duration if this ended one."""
        since = self._since
        if since is None:
            return None
        duration = time.monotonic() - since
        self._log.warning(
            "%s reachable again after %.1f s (%d operations failed meanwhile)",
            self.what,
            duration,
            self._failures,
        )
        self._since = None
        self._failures = 0
        return duration
