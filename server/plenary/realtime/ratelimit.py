"""Per-connection rate limiting (token bucket), so a flood slows only its sender."""

from __future__ import annotations

import time


class TokenBucket:
    """Allows ``rate`` events per second on average, with bursts up to ``burst``."""

    __slots__ = ("_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()

    def take(self) -> float:
        """Spend one token. Returns 0 when allowed, else the seconds until one is free."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate
