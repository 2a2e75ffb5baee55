"""What a poll may hold: this kind's limits, configurable like every other setting
(``--max-options``, ``PLENARY_MAX_OPTIONS``...; see docs/configuration.md)."""

from __future__ import annotations

from dataclasses import dataclass

from plenary.options import option


@dataclass(frozen=True)
class PollLimits:
    """Poll limits. Bounds on polls and their answers, each enforced with an error ack."""

    max_question_len: int = option(300, "longest poll question")
    max_option_len: int = option(120, "longest poll option label")
    max_options: int = option(12, "most options in a choice poll")
    max_word_len: int = option(40, "longest word-cloud answer")
    max_words: int = option(10, "most words a word cloud may let one attendee give")
    max_text_len: int = option(280, "longest open-text answer")
    max_polls_per_event: int = option(500, "most polls in one event")


#: This kind's limits, read by the settings (see plenary/activities/__init__.py).
LIMITS = PollLimits
