"""What a pitch session may hold: this kind's limits, configurable like every other
setting (``--pitch-max-pitches``, ``PLENARY_PITCH_MAX_PITCHES``...; see
docs/configuration.md). Every name starts with ``pitch_`` so that no flag collides with
another kind's."""

from __future__ import annotations

from dataclasses import dataclass

from plenary.options import option


@dataclass(frozen=True)
class PitchLimits:
    """Pitch session limits, each enforced with an error ack."""

    pitch_max_pitches: int = option(40, "most pitches in one pitch session")
    pitch_max_text_len: int = option(200, "longest pitch title, organisation or speaker")
    pitch_max_description_len: int = option(1000, "longest pitch description")
    pitch_max_feedback_len: int = option(500, "longest feedback an attendee leaves a pitch")
    pitch_max_criteria: int = option(8, "most jury criteria in one pitch session")
    pitch_max_jurors: int = option(50, "most jurors in one pitch session")
    pitch_max_per_event: int = option(50, "most pitch sessions in one room of an event")


#: This kind's limits, read by the settings (see plenary/activities/__init__.py).
LIMITS = PitchLimits
