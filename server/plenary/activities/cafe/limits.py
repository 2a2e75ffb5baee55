"""What a world café may hold: this kind's limits, configurable like every other setting
(``--cafe-max-rounds``, ``PLENARY_CAFE_MAX_ROUNDS``...; see docs/configuration.md)."""

from __future__ import annotations

from dataclasses import dataclass

from plenary.options import option


@dataclass(frozen=True)
class CafeLimits:
    """World café limits. Bounds on cafés and their harvests, each enforced with an
    error ack."""

    cafe_max_title_len: int = option(120, "longest world-café title")
    cafe_max_topics: int = option(200, "most topics of one world café")
    cafe_max_topic_len: int = option(120, "longest world-café topic")
    cafe_max_rounds: int = option(20, "most rounds of one world café")
    cafe_min_round_s: int = option(30, "shortest world-café round, in seconds")
    cafe_max_round_s: int = option(4 * 3600, "longest world-café round, in seconds")
    cafe_warning_s: int = option(
        60, "seconds before a world-café round ends that everyone is warned (at most half a round)"
    )
    cafe_max_room_url_len: int = option(300, "longest world-café room link template")
    cafe_max_per_event: int = option(50, "most world cafés in one event")
    cafe_max_harvest_len: int = option(500, "longest world-café harvest (a table's takeaway)")
    cafe_max_harvests: int = option(10, "most harvests one attendee keeps in one world-café round")
    cafe_max_spotlight: int = option(6, "most harvests on the big screen at once")
    cafe_harvest_update_ms: int = option(
        250, "a world-café table's harvests go to its members at most once per this many ms"
    )


#: This kind's limits, read by the settings (see plenary/installed.py).
LIMITS = CafeLimits
