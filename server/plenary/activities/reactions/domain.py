"""Reaction rules as pure functions and small plain classes: the emoji set, a per-
attendee tap limit, adding taps up per window, and combining the counts that several
processes report. Time comes in as an argument (epoch ms); nothing here does I/O.

How windows combine across processes: each process adds its taps up in memory and, once
per window, stores its running totals (one record per process, replaced each time) and
its totals per minute. One process per window (elected by the store, as for poll
results) sums every process's running totals, subtracts what the previous window's
message showed, and sends the difference. So the room's staff get one message per
window at most, and every tap is shown exactly once, in the window it reached the
store in.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plenary.errors import ErrorCode, PlenaryError, bad_request

ACTIVITY_TYPE = "reactions"
#: The room's record (the emoji set and what was last sent; each process's running
#: totals as its answers) and the per-minute log (each process's totals per minute).
ROOM_RECORD_TYPE = "reactions_room"
ROOM_RECORD_ID = "reactions"
MINUTES_TYPE = "reactions_minutes"
MINUTES_ID = "reactions-minutes"

DEFAULT_EMOJIS = ("👍", "❤️", "😂", "👏", "🎉")
MAX_EMOJI_LEN = 16  # code points: enough for flags, skin tones and joined sequences
MINUTE_MS = 60_000


def check_emojis(emojis: Any, max_count: int) -> tuple[str, ...]:
    """A presenter's emoji set: 1 to ``max_count`` distinct short symbols."""
    if not isinstance(emojis, list) or not all(isinstance(e, str) for e in emojis):
        raise bad_request("emojis must be a list of strings.")
    if not 1 <= len(emojis) <= max_count:
        raise bad_request(f"A reaction set has 1 to {max_count} emoji.")
    cleaned = tuple(unicodedata.normalize("NFC", e.strip()) for e in emojis)
    for emoji in cleaned:
        if not emoji or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in emoji):
            raise bad_request("Each reaction is one emoji (no spaces).")
        if len(emoji) > MAX_EMOJI_LEN:
            raise PlenaryError(ErrorCode.TOO_LONG, "Each reaction is one emoji.")
    if len(set(cleaned)) != len(cleaned):
        raise bad_request("Each emoji can be in the set once.")
    return cleaned


def minute_of(ts: int) -> int:
    """The start of the minute ``ts`` falls in (epoch ms)."""
    return ts - ts % MINUTE_MS


@dataclass
class _Bucket:
    tokens: float
    stamp: int


class TapLimiter:
    """A token bucket per attendee: ``rate`` taps a second, bursts of ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, who: str, now: int) -> bool:
        bucket = self._buckets.get(who)
        if bucket is None:
            bucket = self._buckets[who] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate / 1000)
        bucket.stamp = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def forget_idle(self, now: int) -> None:
        """Drop the buckets that are full again (they would allow a whole burst anyway)."""
        refill_ms = self.burst * 1000 / self.rate if self.rate > 0 else float("inf")
        idle = [who for who, b in self._buckets.items() if now - b.stamp >= refill_ms]
        for who in idle:
            del self._buckets[who]

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass
class RoomTaps:
    """One process's taps in one room: those of the window being filled, its running
    totals since it started, and its totals per minute."""

    window: Counter[str] = field(default_factory=Counter)
    running: Counter[str] = field(default_factory=Counter)
    minutes: dict[int, Counter[str]] = field(default_factory=dict)

    def add(self, emoji: str, now: int) -> None:
        self.window[emoji] += 1
        self.minutes.setdefault(minute_of(now), Counter())[emoji] += 1

    def close_window(self) -> tuple[dict[str, int], dict[int, dict[str, int]]]:
        """End the window: its counts join the running totals. Returns the running
        totals and the totals of the minutes the window touched."""
        touched = {m: dict(c) for m, c in self.minutes.items()}
        self.running.update(self.window)
        self.window.clear()
        # Only the current minute can still grow: older ones are written one last time.
        if touched:
            latest = max(self.minutes)
            self.minutes = {latest: self.minutes[latest]}
        return dict(self.running), touched


def sum_counts(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for part in parts:
        total.update({k: int(v) for k, v in part.items()})
    return dict(total)


def window_counts(totals: Mapping[str, int], sent: Mapping[str, int]) -> dict[str, int]:
    """What a window's message shows: the taps stored since the last message."""
    return {e: n - sent.get(e, 0) for e, n in totals.items() if n - sent.get(e, 0) > 0}


def per_minute(records: Iterable[tuple[int, Mapping[str, int]]]) -> list[dict[str, Any]]:
    """Every process's totals per minute, summed per minute, oldest first."""
    minutes: dict[int, Counter[str]] = {}
    for minute, counts in records:
        minutes.setdefault(minute, Counter()).update(counts)
    return [
        {"minute": m, "counts": dict(sorted(c.items())), "total": sum(c.values())}
        for m, c in sorted(minutes.items())
    ]
