"""Server time. Every broadcast carries ``ts`` from here so clients can measure latency."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def iso_utc(ms: int) -> str:
    """Epoch milliseconds as ISO 8601 in UTC (``2026-12-02T07:25:00.123Z``), for
    exports that people read next to the epoch milliseconds programs use."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
