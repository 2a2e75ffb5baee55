"""What reactions allow: this kind's limits, configurable like every other setting
(``--reactions-window-ms``, ``PLENARY_REACTIONS_WINDOW_MS``...; docs/configuration.md)."""

from __future__ import annotations

from dataclasses import dataclass

from plenary.options import option


@dataclass(frozen=True)
class ReactionLimits:
    """Bounds on reactions. Taps over an attendee's limit are dropped without an error."""

    reactions_window_ms: int = option(
        500, "reaction taps are added up and sent to a room's staff once per this many ms"
    )
    reactions_taps_per_second: float = option(
        5.0, "reaction taps one attendee may make per second (more are dropped silently)"
    )
    reactions_tap_burst: int = option(10, "reaction taps one attendee may make at once")
    reactions_max_emojis: int = option(8, "most emoji in a room's reaction set")


#: This kind's limits, read by the settings (see plenary/activities/__init__.py).
LIMITS = ReactionLimits
