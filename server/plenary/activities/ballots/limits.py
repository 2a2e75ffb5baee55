"""What an award ballot may hold: this kind's limits, configurable like every other
setting (``--ballot-max-candidates``, ``PLENARY_BALLOT_MAX_CANDIDATES``...; see
docs/configuration.md). Every name starts with ``ballot_`` so that no flag collides with
another kind's."""

from __future__ import annotations

from dataclasses import dataclass

from plenary.options import option


@dataclass(frozen=True)
class BallotLimits:
    """Award ballot limits, each enforced with an error ack."""

    ballot_max_title_len: int = option(200, "longest award ballot title")
    ballot_max_candidates: int = option(30, "most candidates on one award ballot")
    ballot_max_name_len: int = option(120, "longest candidate name or organisation")
    ballot_max_per_event: int = option(100, "most award ballots in one room of an event")
    ballot_max_roll: int = option(
        20_000, "most personal voting codes on one award ballot's voter roll"
    )
    ballot_max_code_len: int = option(64, "longest personal voting code")


#: This kind's limits, read by the settings (see plenary/activities/__init__.py).
LIMITS = BallotLimits
